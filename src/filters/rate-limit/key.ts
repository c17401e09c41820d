// What a rate limit counts by, compiled once into a function of the request. Several parts combine
// into one key joined by a separator no part can contain unescaped. The client part is the real
// client's address (after PROXY, behind trusted_proxies the X-Forwarded-For client, and with IPv4-mapped
// IPv6 as IPv4), never address:port.
import type { RequestContext } from "../../http/request-context.ts";
import { getHeader } from "../headers.ts";

/** The key of a request, or undefined when a part is missing (a header not sent): the limit skips it. */
export type KeyOf = (ctx: RequestContext) => string | undefined;

function part(spec: string): KeyOf {
  switch (spec) {
    case "client_addr":
      return (ctx) => ctx.client;
    case "path":
      return (ctx) => {
        const q = ctx.path.indexOf("?");
        return q < 0 ? ctx.path : ctx.path.slice(0, q);
      };
    case "route":
      return (ctx) => ctx.route?.label ?? "";
    case "host":
      return (ctx) => ctx.host;
    case "method":
      return (ctx) => ctx.method;
    default: {
      const name = spec.slice("header:".length).toLowerCase();
      return (ctx) => getHeader(ctx.upstreamHeaders, name);
    }
  }
}

export function compileKey(spec: string | readonly string[]): KeyOf {
  const specs = typeof spec === "string" ? [spec] : spec;
  const parts = specs.map(part);
  if (parts.length === 1) return parts[0]!;
  return (ctx) => {
    let key = "";
    for (let i = 0; i < parts.length; i++) {
      const v = parts[i]!(ctx);
      if (v === undefined) return undefined;
      key += i === 0 ? encodeURIComponent(v) : `|${encodeURIComponent(v)}`;
    }
    return key;
  };
}
