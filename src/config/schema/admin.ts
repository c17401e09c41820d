import { z } from "zod";
import { doc, HOST_PORT } from "./fields.ts";

export const adminSchema = z
  .strictObject({
    listen: doc(
      z.string().regex(HOST_PORT, 'expected "host:port", e.g. "127.0.0.1:9901"').optional(),
      "Address of the admin API (/healthz, /readyz, /metrics, /logs, /status, /config, /reload) and the dashboard (/). Leave out to turn it off. Keep it on loopback.",
      { env: "WEIR_ADMIN_LISTEN", flag: "admin-listen", example: "127.0.0.1:9901" },
    ),
    token: doc(
      z.string().min(16, "use a token of at least 16 characters").optional(),
      "Bearer token the admin API asks for (Authorization: Bearer <token>) on everything but /healthz, /readyz and the dashboard page itself. Leave out for none.",
      { env: "WEIR_ADMIN_TOKEN" },
    ),
  })
  .prefault({});
