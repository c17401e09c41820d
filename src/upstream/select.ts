// Peer selection for an HTTP request: the route's upstream, its subset, the request's hash key for
// ring_hash, and the endpoints the request already tried. A request that arrives before the upstream's
// first discovery answer waits for it (at most the connect timeout) instead of failing at start-up.
import type { Verdict } from "../http/phases.ts";
import type { RequestContext } from "../http/request-context.ts";
import { hashString } from "./balance/hash.ts";
import type { Subset, Upstream } from "./upstream.ts";

export function selectEndpoint(
  ctx: RequestContext,
  upstream: Upstream,
  subset: Subset | undefined,
): Verdict | Promise<Verdict> {
  if (!upstream.settled) return waitForDiscovery(ctx, upstream, subset);
  ctx.endpoint = upstream.pick(ctx.tried, upstream.hashes ? requestHash(ctx, upstream) : 0, subset);
  return undefined;
}

async function waitForDiscovery(
  ctx: RequestContext,
  upstream: Upstream,
  subset: Subset | undefined,
): Promise<Verdict> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    upstream.ready,
    new Promise((resolve) => {
      timer = setTimeout(resolve, upstream.config.connect_timeout);
    }),
  ]);
  clearTimeout(timer);
  ctx.endpoint = upstream.pick(ctx.tried, upstream.hashes ? requestHash(ctx, upstream) : 0, subset);
  return undefined;
}

/** The hash of the request's key for ring_hash; a request without the key goes to a random point. */
export function requestHash(ctx: RequestContext, upstream: Upstream): number {
  const h = upstream.config.hash;
  let key: string | undefined;
  switch (h.on) {
    case "client":
      key = ctx.client;
      break;
    case "path": {
      const q = ctx.path.indexOf("?");
      key = q < 0 ? ctx.path : ctx.path.slice(0, q);
      break;
    }
    case "header":
      key = headerValue(ctx.upstreamHeaders, h.name as string);
      break;
    case "cookie": {
      const cookies = headerValue(ctx.upstreamHeaders, "cookie");
      key = cookies === undefined ? undefined : cookieValue(cookies, h.name as string);
      break;
    }
  }
  return key === undefined ? (Math.random() * 0x1_0000_0000) >>> 0 : hashString(key);
}

/** The first value of header `name` (any case) in a flat [name, value, ...] list. */
export function headerValue(headers: readonly string[], name: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) {
    const n = headers[i]!;
    if (n.length === name.length && n.toLowerCase() === name.toLowerCase()) return headers[i + 1];
  }
  return undefined;
}

/** The value of cookie `name` in a Cookie header (RFC 6265 §5.4: "a=1; b=2"). */
export function cookieValue(header: string, name: string): string | undefined {
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
