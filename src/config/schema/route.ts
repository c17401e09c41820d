import { z } from "zod";
import { doc, size } from "./fields.ts";
import { routeFiltersField } from "./filters.ts";

/** An exact host ("a.test") or a one-label wildcard ("*.b.test"), case-insensitive, no port. */
const HOST_PATTERN = /^(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?$/;

const respondSchema = z.strictObject({
  status: doc(z.int().min(100).max(599), "Status code of the fixed response."),
  body: doc(z.string().prefault(""), "Body of the fixed response."),
  headers: doc(z.record(z.string(), z.string()).prefault({}), "Headers of the fixed response."),
});

export const routeSchema = z
  .strictObject({
    name: doc(
      z
        .string()
        .regex(/^[A-Za-z0-9_.-]+$/)
        .optional(),
      'Name of this route in the access log and metrics; leave out for its position ("#0", "#1", ...).',
    ),
    listeners: doc(
      z.array(z.string().min(1)).optional(),
      "Listeners this route applies to; leave out for every HTTP listener.",
    ),
    host: doc(
      z.string().regex(HOST_PATTERN, 'expected a host name such as "a.test" or "*.b.test"').optional(),
      'Host to match ("Host" in HTTP/1, ":authority" in HTTP/2): exact, or "*.example.com" for one label.',
    ),
    path_prefix: doc(z.string().startsWith("/").optional(), 'Path prefix to match, e.g. "/api/".'),
    methods: doc(z.array(z.string().regex(/^[A-Z]+$/)).optional(), "Methods to match; leave out for any."),
    sni: doc(
      z.string().regex(HOST_PATTERN, 'expected a host name such as "db.test" or "*.db.test"').optional(),
      'TLS server name (SNI) this route takes, exact or "*.example.com"; only with `passthrough`.',
    ),
    passthrough: doc(
      z.boolean().prefault(false),
      "Pass matching TLS connections, untouched from their first byte, to the upstream's endpoints (L4).",
    ),
    upstream: doc(z.string().min(1).optional(), "Upstream cluster that serves the matching requests."),
    subset: doc(
      z.record(z.string().regex(/^[a-z0-9_.-]+$/, "subset keys are lower case"), z.string()).optional(),
      'Only the upstream\'s endpoints whose metadata (DNS-SD TXT) has these key/values, e.g. { version = "2" }.',
    ),
    respond: doc(respondSchema.optional(), "Answer matching requests directly, without an upstream."),
    websocket: doc(z.boolean().prefault(true), "Allow WebSocket upgrades on this route."),
    connect: doc(
      z.array(z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9a-fA-F:.]+\]:\d{1,5}$/)).prefault([]),
      'CONNECT targets ("host:port") this route tunnels to; any other CONNECT gets 405.',
    ),
    max_body_size: size("Largest request body accepted; larger ones get 413 (0: no limit).", "0"),
    filters: routeFiltersField,
    forwarded: doc(
      z
        .strictObject({
          x_forwarded_for: doc(z.boolean().prefault(true), "Add the client address to X-Forwarded-For."),
          x_forwarded_proto: doc(z.boolean().prefault(true), "Set X-Forwarded-Proto."),
          x_forwarded_host: doc(z.boolean().prefault(true), "Set X-Forwarded-Host."),
          forwarded: doc(z.boolean().prefault(false), "Add an RFC 7239 Forwarded element."),
          via: doc(z.boolean().prefault(false), "Add a Via header naming weir."),
        })
        .prefault({}),
      "Which forwarding headers the origin receives.",
    ),
  })
  // A passthrough route matches TLS connections by SNI only: the HTTP inside is never seen.
  .refine((r) => (r.sni !== undefined) === r.passthrough, {
    message: "sni and passthrough = true go together: a passthrough route is matched by SNI alone",
    path: ["passthrough"],
  });
