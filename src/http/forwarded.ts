// The first user of the upstreamRequest phase: X-Forwarded-For/-Proto/-Host, RFC 7239 Forwarded and
// RFC 9110 §7.6.3 Via, each switched per route (`forwarded` table). What a client sent in these fields
// is kept, and extended, only when the client is a trusted proxy; from anyone else it is replaced.
import type { HttpFilter } from "./phases.ts";
import type { RequestContext } from "./request-context.ts";

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
