// The first step of a transparent listener: read where the client meant to go before netfilter redirected
// it here (SO_ORIGINAL_DST / IP6T_SO_ORIGINAL_DST, src/process/native.ts) onto ctx.originalDst. Reads no
// bytes. Contract:
// - a connection whose original destination is weir's own listener would loop (weir would dial itself,
//   and that connection would dial itself again): closed, counted as reason "loop", logged as an error.
//   The same for a connection that comes from one of weir's own tunnels to an original destination (the
//   redirect did not exempt weir's user, see `weir iptables`);
// - no original destination (not redirected: conntrack has no entry) or an unreadable one: closed and
//   counted, never guessed;
// - nothing here throws.
import type { Socket } from "node:net";
import type { ListenerConfig } from "../../config/schema/index.ts";
import type { Generation } from "../../generation.ts";
import { plainAddress } from "../../net/address.ts";
import { handleFd, type OriginalDestination, originalDst } from "../../process/native.ts";
import {
  TransparentRefusal,
  type TransparentRefusalReason,
  transparentRefused,
} from "../transparent-metrics.ts";
import { isOwnTunnel } from "../transparent-own.ts";
import type { HandshakeStep } from "./index.ts";

/** The listener's own address from its config ("127.0.0.1:4140", "[::]:4140", "*:4140"). */
function listenAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(":");
  const host = address.slice(0, colon).replace(/^\[|\]$/g, "");
  return { host: host === "localhost" ? "127.0.0.1" : host, port: Number(address.slice(colon + 1)) };
}

const WILDCARD = new Set(["*", "0.0.0.0", "::", ""]);

/** Whether `dst` is this listener itself: the socket's own local address, or the listener's address. */
export function isOwnListener(
  dst: OriginalDestination,
  socket: Pick<Socket, "localAddress" | "localPort">,
  own: { host: string; port: number },
): boolean {
  if (dst.port === socket.localPort && dst.address === plainAddress(socket.localAddress ?? "")) return true;
  return dst.port === own.port && (WILDCARD.has(own.host) || dst.address === own.host);
}

export function originalDstStep(gen: Generation, config: ListenerConfig): HandshakeStep {
  const own = listenAddress(config.address);
  const refused = transparentRefused(gen);
  return {
    name: "original_dst",
    run(socket, ctx, done) {
      const refuse = (reason: TransparentRefusalReason, message: string, level: "error" | "warn"): void => {
        refused.inc({ listener: ctx.listener, reason });
        gen.log[level](
          { listener: ctx.listener, conn: ctx.id, client: ctx.clientAddress, reason },
          `connection closed: ${message}`,
        );
        done(false);
      };
      let dst: OriginalDestination | null;
      try {
        dst = originalDst(handleFd(socket));
      } catch (err) {
        return refuse(
          TransparentRefusal.UNREADABLE,
          `original destination unreadable: ${(err as Error).message}`,
          "warn",
        );
      }
      if (dst === null)
        return refuse(
          TransparentRefusal.NO_ORIGINAL_DST,
          "no original destination (the connection was not redirected, or conntrack is not loaded)",
          "warn",
        );
      if (isOwnListener(dst, socket, own))
        return refuse(
          TransparentRefusal.LOOP,
          `original destination ${dst.address}:${dst.port} is this listener itself; forwarding would loop`,
          "error",
        );
      if (isOwnTunnel(socket.remoteAddress, socket.remotePort))
        return refuse(
          TransparentRefusal.LOOP,
          `connection from weir's own tunnel to ${dst.address}:${dst.port} was redirected back to it: ` +
            "exempt weir's user from the redirect (weir iptables)",
          "error",
        );
      ctx.originalDst = dst;
      done(true);
    },
  };
}
