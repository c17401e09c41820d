// What a transparent listener does with a redirected connection, once the original-destination step
// (handshake/original-dst.ts) has put ctx.originalDst in place. Policy by original destination, as a
// service-mesh sidecar does it:
// - opaque_ports (ports, ranges, CIDRs): tunnelled at once, no detection (server-speaks-first protocols);
// - "tcp" listeners: everything tunnelled to the original destination;
// - otherwise detected (auto.ts): HTTP goes to the HTTP engine, which routes by authority and sends what
//   no route matches to the original destination (transparent-http.ts); TLS is passed through to the
//   original destination unless the listener holds a certificate for its server name (then terminated, and
//   the decrypted stream served as HTTP); anything else, and silence until detect_timeout, is tunnelled.
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
  const tls =
    front &&
    ((socket: Parameters<ConnectionHandler>[0], ctx: Parameters<ConnectionHandler>[1], head?: Buffer) =>
      front.accept(socket, ctx, head, tunnel));
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
