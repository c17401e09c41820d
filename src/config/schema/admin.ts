import { z } from "zod";
import { doc, HOST_PORT } from "./fields.ts";

export const adminSchema = z
  .strictObject({
    listen: doc(
      z.string().regex(HOST_PORT, 'expected "host:port", e.g. "127.0.0.1:9901"').optional(),
      "Address of the admin API (/healthz, /readyz, /metrics). Leave out to turn it off. Keep it on loopback.",
      { env: "WEIR_ADMIN_LISTEN", flag: "admin-listen", example: "127.0.0.1:9901" },
    ),
  })
  .prefault({});
