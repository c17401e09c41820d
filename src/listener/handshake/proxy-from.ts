// The connection rule of listeners with `proxy_protocol`: only peers in `proxy_protocol_from` may send a
// PROXY header, since whoever sends one chooses the client address weir believes. Anyone else is closed
// before a byte is read, counted as weir_connections_rejected_total{reason="proxy_protocol_from"}.
// Unix socket peers have no address to match; the socket file's mode decides who may connect.
import type { ListenerConfig } from "../../config/schema/index.ts";
import type { Generation } from "../../generation.ts";
import { compileTrusted } from "../../http/trusted.ts";
import type { HandshakeStep } from "./index.ts";

export const PROXY_FROM_REJECT_REASON = "proxy_protocol_from";

/** The step, or undefined when the list is empty (any peer may send the header). */
export function proxyFromStep(gen: Generation, config: ListenerConfig): HandshakeStep | undefined {
  if (config.proxy_protocol_from.length === 0) return undefined;
  const allowed = compileTrusted(config.proxy_protocol_from);
  return {
    name: "proxy_protocol_from",
    run(socket, ctx, done) {
      const peer = socket.remoteAddress;
      if (peer === undefined || allowed(peer)) return done(true);
      gen.metrics.connectionsRejected.inc({ listener: ctx.listener, reason: PROXY_FROM_REJECT_REASON });
      gen.log.warn(
        { listener: ctx.listener, conn: ctx.id, peer },
        "connection refused: peer not in proxy_protocol_from",
      );
      done(false);
    },
  };
}
