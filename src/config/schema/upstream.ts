import { z } from "zod";
import { discoverySchema } from "./discovery.ts";
import { doc, duration, hostPort } from "./fields.ts";
import { healthSchema } from "./health.ts";
import { upstreamTlsSchema } from "./tls.ts";

export const BALANCERS = ["round_robin", "least_request", "random", "ring_hash", "first_available"] as const;

/** What `ring_hash` hashes to pick an endpoint, so that the same key keeps reaching the same endpoint. */
const hashSchema = z
  .strictObject({
    on: doc(
      z.enum(["client", "header", "cookie", "path"]).prefault("client"),
      "The key: the client address, a request header, a cookie, or the path (without the query).",
    ),
    name: doc(z.string().min(1).optional(), "The header or cookie name (for `header` and `cookie`)."),
  })
  .superRefine((h, ctx) => {
    if ((h.on === "header" || h.on === "cookie") && h.name === undefined)
      ctx.addIssue({ code: "custom", path: ["name"], message: `hashing on a ${h.on} needs its name` });
  });

const retryBudgetSchema = z.strictObject({
  ratio: doc(
    z.number().min(0).max(10).prefault(0.2),
    "Most retries as a share of the requests over `window` (0.2: at most 20% extra requests).",
  ),
  window: duration("The window over which requests and retries are counted.", "10s"),
  min: doc(
    z.int().min(0).prefault(10),
    "Retries always allowed per window, so that a quiet upstream still retries.",
  ),
});

export const upstreamSchema = z
  .strictObject({
    endpoints: doc(
      z.array(hostPort("An endpoint of this upstream.")).min(1).optional(),
      'Endpoints as "host:port"; a host name is resolved (system resolver, or `discovery.servers`) into one endpoint per address and re-resolved every 30s. Either this or `discovery`.',
    ),
    discovery: doc(discoverySchema.optional(), "Find the endpoints through DNS: A/AAAA, SRV or DNS-SD."),
    balance: doc(
      z.enum(BALANCERS).prefault("round_robin"),
      'How requests and connections are spread over the endpoints: "round_robin" (smooth, weighted), "least_request" (fewest in flight of two random picks), "random" (weighted), "ring_hash" (consistent hashing on `hash`), "first_available".',
    ),
    hash: doc(hashSchema.prefault({}), "The key `ring_hash` hashes."),
    health: doc(healthSchema.prefault({}), "Active and passive health checks."),
    retries: doc(
      z.int().min(0).max(10).prefault(2),
      "Further endpoints a request may try after a failed connect, or after an idempotent request failed before any response byte.",
    ),
    retry_methods: doc(
      z.array(z.string().regex(/^[A-Z]+$/)).prefault(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]),
      "Methods retried when they fail before any response byte (RFC 9110 §9.2.2); a request with an Idempotency-Key header is retried whatever its method.",
    ),
    retry_budget: doc(
      retryBudgetSchema.prefault({}),
      "A cap on retries, so that retries cannot multiply an overload.",
    ),
    connect_timeout: duration(
      "Time to establish a connection to an endpoint; then 502 (HTTP) or close (TCP).",
      "5s",
    ),
    response_timeout: duration("Time from the end of the request to the response head; then 504.", "60s"),
    idle_timeout: duration("How long an idle pooled connection is kept for reuse.", "30s"),
    max_connections: doc(
      z.int().min(1).prefault(256),
      "Most connections to one endpoint at once (HTTP/1.1 pools; HTTP/2 multiplexes on fewer).",
    ),
    h2: doc(z.boolean().prefault(false), "Speak HTTP/2 (prior knowledge) to the endpoints."),
    proxy_protocol: doc(
      z.enum(["v1", "v2"]).optional(),
      'Start every connection to an endpoint with a PROXY header ("v1" or "v2") carrying the client\'s address; v2 adds ALPN, authority and a unique id. HTTP connections are then pooled per client, never shared.',
    ),
    tls: doc(
      upstreamTlsSchema.optional(),
      "Connect to the endpoints with TLS, verified against the system CAs or `ca`; `{}` for all defaults.",
    ),
  })
  .superRefine((u, ctx) => {
    if ((u.endpoints === undefined) === (u.discovery === undefined))
      ctx.addIssue({ code: "custom", message: "an upstream needs either endpoints or discovery (not both)" });
  });
