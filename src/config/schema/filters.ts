// The filters a route (`[[routes.filters]]`) or a listener (`[[listeners.<name>.filters]]`) lists. Each
// entry names its implementation with one discriminator, `kind` (as Caddy's modules do); the filters
// themselves live in src/filters/<kind>/ and are provisioned from these sections once per generation.
import { z } from "zod";
import { isCidr } from "../../net/address.ts";
import { doc, duration, size } from "./fields.ts";

const cidrList = (what: string) =>
  doc(
    z
      .array(z.string().refine(isCidr, 'expected an address or CIDR such as "10.0.0.0/8" or "fd00::/8"'))
      .prefault([]),
    what,
  );

/** An HTTP field name (RFC 9110 §5.1: a token), held in lower case. */
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const fieldName = z
  .string()
  .regex(FIELD_NAME, "expected a header field name")
  .transform((s) => s.toLowerCase());

function isRegExp(text: string): boolean {
  try {
    new RegExp(text, "i");
    return true;
  } catch {
    return false;
  }
}
const regexList = (what: string) =>
  doc(z.array(z.string().refine(isRegExp, "expected a regular expression")).prefault([]), what);
const globList = (what: string) =>
  doc(
    z
      .array(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z?-]+$/, "expected a glob of a field name"))
      .prefault([]),
    what,
  );

/** What a rate limit counts by: one of these, or "header:<name>"; a list combines them into one key. */
const RATE_KEY = /^(client_addr|path|route|host|method|header:[!#$%&'*+.^_`|~0-9A-Za-z-]+)$/;
const rateKey = z
  .string()
  .regex(RATE_KEY, 'expected "client_addr", "path", "route", "host", "method" or "header:<name>"');

export const cidrFilterSchema = z.strictObject({
  kind: z.literal("cidr"),
  allow: cidrList("Only clients in these networks pass (leave empty to allow everyone not denied)."),
  deny: cidrList("Clients in these networks are refused; deny wins over allow."),
  status: doc(z.int().min(400).max(599).prefault(403), "Status of the refusal on HTTP routes."),
});

export const connectionLimitFilterSchema = z.strictObject({
  kind: z.literal("connection_limit"),
  per_client: doc(
    z.int().min(1),
    "Most connections one client address may hold to this listener; further ones are closed on accept.",
  ),
});

export const rateLimitFilterSchema = z.strictObject({
  kind: z.literal("rate_limit"),
  key: doc(
    z.union([rateKey, z.array(rateKey).min(1)]).prefault("client_addr"),
    'What the buckets are counted by: "client_addr", "path", "route", "host", "method", "header:<name>", or a list of them.',
  ),
  rate: doc(z.number().positive(), "Requests per second each key may make on average (the refill rate)."),
  burst: doc(z.int().min(1).optional(), "Requests a key may make at once (the bucket size); default: rate."),
  over_limit: doc(
    z.enum(["reject", "delay"]).prefault("reject"),
    '"reject" answers 429 with Retry-After; "delay" holds the request until its token is due, up to max_delay.',
  ),
  max_delay: duration('"delay": longest a request is held; beyond it, 429.', "1s"),
  max_buckets: doc(
    z.int().min(1).prefault(100_000),
    "Live buckets kept per limit; the least recently used is evicted beyond it (local buckets only).",
  ),
  redis: doc(
    z
      .strictObject({
        address: doc(
          z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected "host:port"'),
          'Redis server, "host:port".',
        ),
        prefix: doc(z.string().prefault("weir:rl:"), "Prefix of the bucket keys in Redis."),
        timeout: duration("Longest wait for Redis; past it the request passes (fail open).", "250ms"),
      })
      .optional(),
    "Keep the buckets in Redis so that several weir instances share the limit.",
  ),
});

export const removeHeadersFilterSchema = z.strictObject({
  kind: z.literal("remove_headers"),
  request_glob: globList('Request header names to remove, as globs ("x-internal-*").'),
  request_regex: regexList("Request header names to remove, as regular expressions (case-insensitive)."),
  response_glob: globList("Response header names to remove, as globs."),
  response_regex: regexList('Response header names to remove, as regular expressions ("^x-debug-").'),
});

/** "${name}" placeholders a set_headers value may use (src/filters/set-headers/template.ts). */
const UNKNOWN_VARIABLE = /\$\{(?!(?:client_addr|request_id|host|method|path)\})/;
const headerValue = z.string().refine(
  (v) => !UNKNOWN_VARIABLE.test(v),
  // biome-ignore lint/suspicious/noTemplateCurlyInString: weir's placeholders, not JavaScript's
  "unknown variable: use ${client_addr}, ${request_id}, ${host}, ${method} or ${path}",
);
const headerValues = (what: string) => doc(z.record(fieldName, headerValue).prefault({}), what);

export const setHeadersFilterSchema = z.strictObject({
  kind: z.literal("set_headers"),
  request: headerValues(
    // biome-ignore lint/suspicious/noTemplateCurlyInString: weir's placeholders, not JavaScript's
    "Request headers to set (replacing any the client sent); values may use ${client_addr}, ${request_id}, ${host}, ${method}, ${path}.",
  ),
  response: headerValues("Response headers to set (replacing the upstream's), with the same variables."),
});

export const bodyLimitFilterSchema = z.strictObject({
  kind: z.literal("body_limit"),
  request: size("Largest request body; larger ones get 413 (0: no limit).", "0"),
  response: size(
    "Largest response body; a larger one is refused with 502, or cut once begun (0: no limit).",
    "0",
  ),
});

export const authRequestFilterSchema = z.strictObject({
  kind: z.literal("auth_request"),
  url: doc(z.url({ protocol: /^https?$/ }), 'The auth service endpoint, e.g. "http://127.0.0.1:9000/check".'),
  forward_headers: doc(
    z.array(fieldName).prefault(["authorization", "cookie"]),
    "Request headers sent on to the auth service (with x-original-method and x-original-uri).",
  ),
  copy_headers: doc(
    z.array(fieldName).prefault([]),
    "Headers of a 2xx auth response copied onto the request to the upstream.",
  ),
  timeout: duration("Longest wait for the auth service; past it the client gets 503.", "5s"),
});

export const requestIdFilterSchema = z.strictObject({
  kind: z.literal("request_id"),
  header: doc(fieldName.prefault("x-request-id"), "Header that carries the request id upstream."),
  use_incoming: doc(
    z.enum(["never", "trusted_proxies", "always"]).prefault("trusted_proxies"),
    "Whose incoming request id is kept instead of generating one.",
  ),
  response: doc(z.boolean().prefault(true), "Also send the request id back to the client."),
});

/** A filter written in TypeScript: its module's default export is called with this whole section. */
export const moduleFilterSchema = z.looseObject({
  kind: z.literal("module"),
  module: doc(
    z.string().min(1),
    'The filter module, relative to the config file ("filters/tenant.ts"); other keys are its own options.',
  ),
});

export const routeFilterSchema = z.discriminatedUnion("kind", [
  cidrFilterSchema,
  rateLimitFilterSchema,
  removeHeadersFilterSchema,
  setHeadersFilterSchema,
  bodyLimitFilterSchema,
  authRequestFilterSchema,
  requestIdFilterSchema,
  moduleFilterSchema,
]);

export const listenerFilterSchema = z.discriminatedUnion("kind", [
  cidrFilterSchema,
  connectionLimitFilterSchema,
]);

export const routeFiltersField = doc(
  z.array(routeFilterSchema).prefault([]),
  "Filters run in this order at every phase they have hooks for (see src/filters).",
);

export const listenerFiltersField = doc(
  z.array(listenerFilterSchema).prefault([]),
  "Connection filters run on accept, on the real client address: cidr, connection_limit.",
);

export type RouteFilterConfig = z.output<typeof routeFilterSchema>;
export type ListenerFilterConfig = z.output<typeof listenerFilterSchema>;
export type CidrFilterConfig = z.output<typeof cidrFilterSchema>;
export type ConnectionLimitFilterConfig = z.output<typeof connectionLimitFilterSchema>;
export type RateLimitFilterConfig = z.output<typeof rateLimitFilterSchema>;
export type RemoveHeadersFilterConfig = z.output<typeof removeHeadersFilterSchema>;
export type SetHeadersFilterConfig = z.output<typeof setHeadersFilterSchema>;
export type BodyLimitFilterConfig = z.output<typeof bodyLimitFilterSchema>;
export type AuthRequestFilterConfig = z.output<typeof authRequestFilterSchema>;
export type RequestIdFilterConfig = z.output<typeof requestIdFilterSchema>;
export type ModuleFilterConfig = z.output<typeof moduleFilterSchema>;
