// What a transparent listener does with a redirected connection, once the original-destination step
// (handshake/original-dst.ts) has put ctx.originalDst in place. Policy by original destination, as a
// service-mesh sidecar does it:
// - opaque_ports (ports, ranges, CIDRs): tunnelled at once, no detection (server-speaks-first protocols);
// - "tcp" listeners: everything tunnelled to the original destination;
// - otherwise detected (auto.ts): HTTP goes to the HTTP engine, which routes by authority and sends what
//   no route matches to the original destination (transparent-http.ts); TLS is passed through to the
//   original destination unless the listener holds a certificate for its server name: then terminated, and
//   the decrypted stream detected again (decrypted()); anything else, and silence until detect_timeout, is
//   tunnelled.
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import type { ListenerConfig } from "../config/schema/index.ts";
import type { Generation } from "../generation.ts";
import type { TlsFront } from "../tls/front.ts";
import { detectAndDispatch } from "./auto.ts";
import type { ConnectionHandler } from "./connection.ts";
import { compileOpaque } from "./transparent-opaque.ts";
import { tunnelToOriginal } from "./transparent-tunnel.ts";

export interface TransparentTargets {
  /** The listener's HTTP engine; undefined on "tcp" listeners. */
  http: ConnectionHandler | undefined;
  /** The listener's TLS front (a tls table); without it TLS is always passed through. */
  tls: TlsFront | undefined;
}

/**
 * What a transparent listener does with a stream it decrypted. ALPN that chose an HTTP protocol ("h2",
 * "http/1.1", RFC 7301 §3.2) says what follows: the HTTP engine at once. Otherwise the decrypted bytes
 * are detected as a cleartext connection's are: the HTTP/2 preface and an HTTP/1 request line go to the
 * HTTP engine (routed by authority, the rest to the original destination: transparent-http.ts); anything
 * else, TLS again included, and silence until detect_timeout (a server that speaks first, as IMAPS or
 * SMTPS after the handshake), is tunnelled to the original destination in cleartext. Holding a certificate for the name makes weir
 * that name's TLS endpoint: what it forwards is the decrypted stream, as a mesh sidecar forwards after
 * terminating (docs/transparent.md).
 */
export function decryptedHandler(
  gen: Generation,
  config: ListenerConfig,
  http: ConnectionHandler,
  tunnel: ConnectionHandler,
): ConnectionHandler {
  const detect = detectAndDispatch(gen, config, {
    http,
    tls: undefined,
    opaque: tunnel,
    idleTimeoutMs: config.idle_timeout,
  });
  return (socket, ctx) => {
    const alpn = (socket as Socket as TLSSocket).alpnProtocol;
    if (alpn === "h2" || alpn === "http/1.1") http(socket, ctx);
    else detect(socket, ctx);
  };
}

export function transparentHandler(
  gen: Generation,
  config: ListenerConfig,
  targets: TransparentTargets,
): ConnectionHandler {
  const idleTimeoutMs = config.idle_timeout;
  const opaque = compileOpaque(config.opaque_ports);
  const tunnel = (
    socket: Parameters<ConnectionHandler>[0],
    ctx: Parameters<ConnectionHandler>[1],
    head?: Buffer,
  ) => tunnelToOriginal(gen, socket, ctx, { idleTimeoutMs, head });
  const front = targets.tls;
  const hooks = {
    noCertificate: tunnel,
    // A protocol = "http" listener serves its decrypted streams as HTTP, as its cleartext ones.
    decrypted:
      targets.http && config.protocol === "auto"
        ? decryptedHandler(gen, config, targets.http, tunnel)
        : undefined,
  };
  const tls =
    front &&
    ((socket: Parameters<ConnectionHandler>[0], ctx: Parameters<ConnectionHandler>[1], head?: Buffer) =>
      front.accept(socket, ctx, head, hooks));
  let inner: ConnectionHandler;
  if (config.protocol === "tcp" || targets.http === undefined) inner = tunnel;
  else if (config.protocol === "http") inner = tls ?? targets.http;
  else inner = detectAndDispatch(gen, config, { http: targets.http, tls, opaque: tunnel, idleTimeoutMs });
  if (opaque === undefined) return inner;
  return (socket, ctx) => {
    const dst = ctx.originalDst;
    if (dst !== undefined && opaque(dst)) tunnel(socket, ctx);
    else inner(socket, ctx);
  };
}
