// The undici connector of a TLS upstream's endpoints. It lives with the pools, apart from
// src/tls/upstream.ts, so that only HTTP workers load undici: importing undici alone doubled the user CPU
// of a raw TCP tunnel in the same process (measured: 0.10 -> 0.25 s/GiB, -25% throughput).
import { isIP } from "node:net";
import { buildConnector } from "undici";
import { baseOptions } from "../../tls/upstream.ts";
import type { Endpoint } from "../endpoint.ts";
import type { Upstream } from "../upstream.ts";

/**
 * undici's connector for `endpoint` of a TLS upstream, or undefined when it is plain TCP. undici would
 * otherwise send the request's Host (the client's name) as SNI; this one always sends the upstream's.
 */
export function upstreamTlsConnector(
  upstream: Upstream,
  endpoint: Endpoint,
  opts: { timeoutMs: number; h2: boolean },
): buildConnector.connector | undefined {
  const base = baseOptions(upstream);
  if (base === undefined) return undefined;
  const name = upstream.config.tls?.server_name ?? (isIP(endpoint.host) === 0 ? endpoint.host : undefined);
  const connector = buildConnector({
    ...(base as buildConnector.BuildOptions),
    timeout: opts.timeoutMs,
    allowH2: opts.h2,
  });
  // An empty name lets undici fall back to no SNI for an IP address (RFC 6066 §3).
  return (options, callback) => connector({ ...options, servername: name ?? "" }, callback);
}
