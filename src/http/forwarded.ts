// The first user of the upstreamRequest phase: X-Forwarded-For/-Proto/-Host, RFC 7239 Forwarded and
// RFC 9110 §7.6.3 Via, each switched per route (`forwarded` table). What a client sent in these fields
// is kept, and extended, only when the client is a trusted proxy; from anyone else it is replaced.
import { isIP } from "node:net";
import type { HttpFilter } from "./phases.ts";
import type { RequestContext } from "./request-context.ts";
import { displayAddress, type TrustCheck } from "./trusted.ts";

/** "192.0.2.1", "192.0.2.1:4711", "[2001:db8::1]:4711", "2001:db8::1" → the address; "" if none. */
function forwardedForAddress(entry: string): string {
  let text = entry.trim();
  if (text.startsWith("[")) {
    const end = text.indexOf("]");
    text = end < 0 ? "" : text.slice(1, end);
  } else if (text.indexOf(":") > 0 && text.indexOf(":") === text.lastIndexOf(":")) {
    text = text.slice(0, text.indexOf(":")); // IPv4 with a port
  }
  return isIP(text) === 0 ? "" : displayAddress(text);
}

/**
 * The client of a request that came through trusted proxies (CDNs, load balancers): walking
 * X-Forwarded-For from the right, the first address that is not a trusted proxy. Each hop appends the
 * peer it saw, so only entries right of the first untrusted one were written by proxies we trust; the
 * ones left of it are the client's own claims. When every entry is trusted, the leftmost is the client;
 * an entry that is not an address ends the walk at the last good one. `peer` (itself trusted) is the
 * answer when the header holds no address at all.
 */
export function clientBehindProxies(xForwardedFor: string, trust: TrustCheck, peer: string): string {
  let client = peer;
  let end = xForwardedFor.length;
  while (end > 0) {
    const comma = xForwardedFor.lastIndexOf(",", end - 1);
    const address = forwardedForAddress(xForwardedFor.slice(comma + 1, end));
    if (address === "") break;
    client = address;
    if (!trust(address)) break;
    end = Math.max(comma, 0);
  }
  return client;
}

/**
 * Sets `ctx.client` once the head is read: the peer, or behind a trusted proxy the address
 * clientBehindProxies finds in its X-Forwarded-For. Logs, filters and balancing read `ctx.client`.
 */
export function resolveRequestClient(ctx: RequestContext): void {
  const conn = ctx.conn;
  if (conn.trusted && ctx.xForwardedFor !== undefined && conn.trust !== undefined) {
    ctx.client = clientBehindProxies(ctx.xForwardedFor, conn.trust, conn.client);
  }
}

/** RFC 7239 §6: IPv6 nodes are bracketed and quoted; IPv4 and tokens are bare. */
function forwardedNode(address: string): string {
  return address.includes(":") ? `"[${address}]"` : address;
}

/** RFC 7239 §4: a value that is not a token (a host with a port, say) is a quoted-string. */
function forwardedValue(value: string): string {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x3a || c === 0x5b || c === 0x22 || c === 0x20 || c === 0x2c || c === 0x3b || c === 0x3d) {
      return `"${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
    }
  }
  return value;
}

function viaVersion(httpVersion: string): string {
  return httpVersion === "2.0" ? "2" : httpVersion;
}

export const forwardedHeaders: HttpFilter = {
  name: "forwarded",
  upstreamRequest(ctx: RequestContext) {
    const flags = ctx.route?.forwarded;
    if (flags === undefined) return undefined;
    const out = ctx.upstreamHeaders;
    const trusted = ctx.conn.trusted;
    const client = ctx.conn.client;
    if (flags.xForwardedFor) {
      out.push(
        "x-forwarded-for",
        trusted && ctx.xForwardedFor !== undefined ? `${ctx.xForwardedFor}, ${client}` : client,
      );
    } else if (trusted && ctx.xForwardedFor !== undefined) out.push("x-forwarded-for", ctx.xForwardedFor);
    if (flags.xForwardedProto) {
      out.push(
        "x-forwarded-proto",
        trusted && ctx.xForwardedProto !== undefined ? ctx.xForwardedProto : ctx.conn.proto,
      );
    } else if (trusted && ctx.xForwardedProto !== undefined)
      out.push("x-forwarded-proto", ctx.xForwardedProto);
    if (flags.xForwardedHost) {
      const host = trusted && ctx.xForwardedHost !== undefined ? ctx.xForwardedHost : ctx.authority;
      if (host.length > 0) out.push("x-forwarded-host", host);
    } else if (trusted && ctx.xForwardedHost !== undefined) out.push("x-forwarded-host", ctx.xForwardedHost);
    if (flags.forwarded) {
      let element = `for=${forwardedNode(client)};proto=${ctx.conn.proto}`;
      if (ctx.authority.length > 0) element += `;host=${forwardedValue(ctx.authority)}`;
      out.push(
        "forwarded",
        trusted && ctx.forwarded !== undefined ? `${ctx.forwarded}, ${element}` : element,
      );
    } else if (trusted && ctx.forwarded !== undefined) out.push("forwarded", ctx.forwarded);
    // Via is appended by every proxy on the way (RFC 9110 §7.6.3), trusted or not: it is a trace.
    if (flags.via) {
      const own = `${viaVersion(ctx.httpVersion)} weir`;
      out.push("via", ctx.via !== undefined ? `${ctx.via}, ${own}` : own);
    } else if (ctx.via !== undefined) out.push("via", ctx.via);
    return undefined;
  },
};
