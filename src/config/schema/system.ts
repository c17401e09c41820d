import { availableParallelism } from "node:os";
import { z } from "zod";
import { doc, duration, path } from "./fields.ts";

export const systemSchema = z
  .strictObject({
    workers: doc(
      z
        .union([z.int().min(1).max(256), z.literal("auto")], {
          error: 'expected a number of workers from 1 to 256, or "auto"',
        })
        .prefault("auto")
        .transform((n) => (n === "auto" ? availableParallelism() : n)),
      'Worker processes that serve connections; "auto" is one per CPU core.',
      { env: "WEIR_WORKERS", flag: "workers" },
    ),
    user: doc(
      z.string().min(1).optional(),
      "User the workers run as. Leave out to keep the launching user (no root needed on ports above 1023).",
      { example: "nobody" },
    ),
    group: doc(
      z.string().min(1).optional(),
      "Group the workers run as; defaults to the user's primary group.",
      {
        example: "nogroup",
      },
    ),
    allow_root_workers: doc(
      z.boolean().prefault(false),
      "Allow workers to run as root (started as root without `user`, or `user` is root). Refused otherwise: a worker parses untrusted input.",
      { env: "WEIR_ALLOW_ROOT_WORKERS" },
    ),
    upgrade_socket: path("Unix socket through which `weir run --upgrade` takes the listening sockets over.", {
      example: "/run/weir/upgrade.sock",
    }).optional(),
    pid_file: path("File the supervisor writes its process id to (used by `weir reload` and `weir stop`).", {
      example: "/run/weir/weir.pid",
    }).optional(),
    grace_period: duration(
      "On stop, reload or upgrade: how long in-flight requests and tunnels may finish before idle ones are closed.",
      "5s",
    ),
    shutdown_timeout: duration(
      "On stop: when every remaining connection is closed and the process exits.",
      "10s",
    ),
  })
  .prefault({});
