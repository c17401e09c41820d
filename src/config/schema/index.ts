// The one schema of weir's config. Every option's type, default and doc, and for some of them the
// environment variable and flag, live here; the CLI help, `weir config defaults/env/schema`, the JSON
// Schema and the README's option table are all generated from it.
import { z } from "zod";
import { acmeSchema } from "./acme.ts";
import { adminSchema } from "./admin.ts";
import { doc } from "./fields.ts";
import { listenerSchema } from "./listener.ts";
import { accessLogSchema, logSchema } from "./log.ts";
import { metricsSchema } from "./metrics.ts";
import { routeSchema } from "./route.ts";
import { systemSchema } from "./system.ts";
import { upstreamSchema } from "./upstream.ts";

const NAME = /^[A-Za-z0-9_-]+$/;
const names = (what: string) => z.string().regex(NAME, `${what} names use letters, digits, "_" and "-"`);

export const configSchema = z.strictObject({
  system: doc(systemSchema, "Processes: workers, their user, signals, reload and upgrade."),
  log: doc(logSchema, "The process log: JSON lines."),
  access_log: doc(accessLogSchema, "The access log: one JSON line per request or TCP session."),
  metrics: doc(metricsSchema, "Metrics: pushed by OTLP/HTTP besides the /metrics page of the admin API."),
  admin: doc(adminSchema, "The admin API."),
  listeners: doc(
    z.record(names("listener"), listenerSchema).prefault({}),
    "Listeners by name: where weir accepts connections and what it expects on them.",
  ),
  routes: doc(
    z.array(routeSchema).prefault([]),
    "HTTP routes, matched by host, path prefix, method and listener; the most specific match wins.",
  ),
  upstreams: doc(
    z.record(names("upstream"), upstreamSchema).prefault({}),
    "Upstream clusters by name: their endpoints, balancing and timeouts.",
  ),
  acme: doc(
    acmeSchema.optional(),
    "Certificates from an ACME CA (Let's Encrypt, ...), obtained and renewed by the supervisor; listeners use them with tls = { acme = true }.",
  ),
});

export type Config = z.output<typeof configSchema>;
export type ListenerConfig = Config["listeners"][string];
export type RouteConfig = Config["routes"][number];
export type UpstreamConfig = Config["upstreams"][string];
