/**
 * One address of an upstream cluster. `key` ("host:port") names it in logs, metrics, pools and the
 * health registry; two endpoints with the same key are the same endpoint, whatever source found them.
 */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
  readonly key: string;
  /** Relative share of the traffic (SRV weight, RFC 2782; 1 for static and A/AAAA endpoints). */
  readonly weight: number;
  /** Lower is preferred (SRV priority); higher groups serve only when every lower endpoint is down. */
  readonly priority: number;
  /** Key/values the endpoint was published with (DNS-SD TXT, RFC 6763 §6), for route subsets. */
  readonly meta: Readonly<Record<string, string>>;
}

const NO_META: Readonly<Record<string, string>> = Object.freeze({});

/** An endpoint for `host` (an address or a name, IPv6 without brackets) and `port`. */
export function makeEndpoint(
  host: string,
  port: number,
  extra: { weight?: number; priority?: number; meta?: Record<string, string> } = {},
): Endpoint {
  const key = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  return Object.freeze({
    host,
    port,
    key,
    weight: extra.weight !== undefined && extra.weight > 0 ? extra.weight : 1,
    priority: extra.priority ?? 0,
    meta: extra.meta === undefined ? NO_META : Object.freeze({ ...extra.meta }),
  });
}

/** "127.0.0.1:80", "[::1]:80", "app.internal:8080" → Endpoint. The schema has validated the shape. */
export function parseEndpoint(text: string): Endpoint {
  const colon = text.lastIndexOf(":");
  const rawHost = text.slice(0, colon);
  const host = rawHost.startsWith("[") ? rawHost.slice(1, -1) : rawHost;
  return makeEndpoint(host, Number(text.slice(colon + 1)));
}
