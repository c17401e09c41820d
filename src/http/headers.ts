// Header handling as RFC 9110 §7.6.1 asks of a proxy, in one pass over the received field lines:
// hop-by-hop fields (Connection and every field it names, Keep-Alive, Proxy-Connection, TE except
// "trailers", Transfer-Encoding, Upgrade, Proxy-Authorization, Proxy-Authenticate) never cross weir.
// The request pass also learns what the engine needs (Host, Content-Length, Expect, Upgrade, the
// forwarding headers) so nothing reads the headers twice.
import { HttpError } from "./errors.ts";
import { routingHost } from "./host.ts";
import type { ResponseHeaders } from "./phases.ts";
import type { RequestContext } from "./request-context.ts";

/** Fields that only describe one connection (RFC 9110 §7.6.1, RFC 9112 §6.1 and §7.4). */
const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "transfer-encoding",
  "upgrade",
  "proxy-authorization",
  "proxy-authenticate",
] as const;

/**
 * Reads `ctx.req.rawHeaders` once: fills `ctx.upstreamHeaders` with the end-to-end fields (names as the
 * client spelled them) and the facts the engine needs. Returns the error to answer with for a head
 * that must be refused (RFC 9112 §3.2: a missing Host on HTTP/1.1, several Host fields, an invalid one).
 */
export function scanRequestHead(ctx: RequestContext): HttpError | undefined {
  const raw = ctx.req.rawHeaders;
  const out = ctx.upstreamHeaders;
  let hosts = 0;
  let hostValue = "";
  let connectionTokens: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    if (name.charCodeAt(0) === 0x3a) {
      // HTTP/2 pseudo-header: only :authority matters here (RFC 9113 §8.3.1).
      if (name === ":authority") {
        hosts++;
        hostValue = value;
      }
      continue;
    }
    switch (name.toLowerCase()) {
      case "host":
        if (ctx.isH2 && hosts > 0) continue; // :authority wins over Host (RFC 9113 §8.3.1)
        hosts++;
        hostValue = value;
        break;
      case "content-length":
        ctx.contentLength = Number(value);
        break;
      case "transfer-encoding":
        ctx.chunked = true;
        continue;
      case "expect":
        // 100-continue is answered by weir (see proxy.ts); no other expectation is defined.
        if (value.toLowerCase() === "100-continue") ctx.expectContinue = true;
        continue;
      case "connection":
        if (!isKeepAliveOrClose(value)) {
          connectionTokens = connectionTokens === undefined ? value : `${connectionTokens},${value}`;
        }
        continue;
      case "te":
        if (value.toLowerCase().includes("trailers")) out.push(name, "trailers");
        continue;
      case "upgrade":
        ctx.upgrade = value;
        continue;
      case "keep-alive":
      case "proxy-connection":
      case "proxy-authorization":
      case "proxy-authenticate":
        continue;
      case "x-forwarded-for":
        ctx.xForwardedFor = ctx.xForwardedFor === undefined ? value : `${ctx.xForwardedFor}, ${value}`;
        continue;
      case "x-forwarded-proto":
        ctx.xForwardedProto ??= value;
        continue;
      case "x-forwarded-host":
        ctx.xForwardedHost ??= value;
        continue;
      case "forwarded":
        ctx.forwarded = ctx.forwarded === undefined ? value : `${ctx.forwarded}, ${value}`;
        continue;
      case "via":
        ctx.via = ctx.via === undefined ? value : `${ctx.via}, ${value}`;
        continue;
    }
    out.push(name, value);
  }
  if (connectionTokens !== undefined) removeNamed(out, connectionTokens);

  if (hosts > 1) return new HttpError("BAD_HOST");
  if (hosts === 0) {
    // HTTP/1.0 and HTTP/2 without an authority go to the host-less routes; HTTP/1.1 must name a host.
    if (ctx.httpVersion === "1.1") return new HttpError("BAD_HOST");
  } else {
    const host = routingHost(hostValue);
    if (host === undefined) return new HttpError("BAD_HOST");
    ctx.host = host;
    ctx.authority = hostValue;
    if (ctx.isH2 && !hasHost(out)) out.push("host", hostValue);
  }
  // HTTP/2 bodies carry no framing header: unless the HEADERS frame ended the stream, expect one.
  if (ctx.isH2 && ctx.contentLength < 0 && !ctx.noBody) ctx.chunked = true;
  return undefined;
}

function hasHost(out: string[]): boolean {
  for (let i = 0; i < out.length; i += 2)
    if (out[i]!.length === 4 && out[i]!.toLowerCase() === "host") return true;
  return false;
}

function isKeepAliveOrClose(value: string): boolean {
  const v = value.toLowerCase();
  return v === "keep-alive" || v === "close";
}

/** Removes the fields a Connection header named (RFC 9110 §7.6.1); rare, so a second pass is fine. */
function removeNamed(out: string[], tokens: string): void {
  const named = new Set(tokens.split(",").map((t) => t.trim().toLowerCase()));
  let w = 0;
  for (let r = 0; r < out.length; r += 2) {
    if (named.has(out[r]!.toLowerCase())) continue;
    out[w++] = out[r]!;
    out[w++] = out[r + 1]!;
  }
  out.length = w;
}

/** The hop-by-hop field names (lower case), for a lookup per field. */
export const HOP_BY_HOP_SET: ReadonlySet<string> = new Set(HOP_BY_HOP);

/**
 * The response head without its hop-by-hop fields (undici's parsed object: lower-case names). Returns
 * `headers` itself when there is nothing to remove, else a copy: copying a handful of fields into a new
 * object is several times cheaper than `delete`, which turns V8 objects into slow dictionaries that
 * the response writer then iterates slowly.
 */
export function withoutHopByHop(headers: ResponseHeaders): ResponseHeaders {
  let found = false;
  for (let i = 0; i < HOP_BY_HOP.length; i++) {
    if (headers[HOP_BY_HOP[i]!] !== undefined) {
      found = true;
      break;
    }
  }
  if (!found) return headers;
  let named: Set<string> | undefined;
  const connection = headers.connection;
  if (connection !== undefined) {
    const value = Array.isArray(connection) ? connection.join(",") : connection;
    if (!isKeepAliveOrClose(value)) {
      for (const token of value.split(",")) {
        const name = token.trim().toLowerCase();
        // Content-Length frames the body: a Connection header naming it must not drop it.
        if (name.length === 0 || name === "content-length") continue;
        named ??= new Set();
        named.add(name);
      }
    }
  }
  const out: ResponseHeaders = {};
  for (const name in headers) {
    if (HOP_BY_HOP_SET.has(name) || named?.has(name)) continue;
    out[name] = headers[name];
  }
  return out;
}
