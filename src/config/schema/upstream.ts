import { z } from "zod";
import { doc, duration, hostPort } from "./fields.ts";
import { upstreamTlsSchema } from "./tls.ts";

export const BALANCERS = ["round_robin", "random", "first_available"] as const;

export const upstreamSchema = z.strictObject({
  endpoints: doc(
    z.array(hostPort("An endpoint of this upstream.")).min(1),
    'Endpoints as "host:port"; a host name is resolved by the system resolver when connecting.',
  ),
  balance: doc(
    z.enum(BALANCERS).prefault("round_robin"),
    "How requests and connections are spread over the endpoints.",
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
});
