// "auto" listeners: look at the client's first bytes without consuming them, then hand the connection
// to the HTTP engine or tunnel it as opaque TCP. A client that says nothing within `detect_timeout` is
// treated as opaque too: server-speaks-first protocols (SMTP, MySQL) wait for the server.
import type { Socket } from "node:net";
import type { ListenerConfig } from "../config/schema/index.ts";
import type { Generation } from "../generation.ts";
import { detectProtocol } from "../protocol/detect.ts";
import type { Upstream } from "../upstream/upstream.ts";
import type { ConnectionContext, ConnectionHandler } from "./connection.ts";
import { proxyTcp } from "./tcp-proxy.ts";

export interface AutoTargets {
  http: ConnectionHandler;
  /** Where a TLS ClientHello goes (listeners with a tls table), with the bytes read so far; without it,
   * TLS is opaque bytes like any other. */
  tls?: ((socket: Socket, ctx: ConnectionContext, head: Buffer) => void) | undefined;
  /** Where opaque bytes go: an upstream, or a handler given the bytes read so far (transparent listeners
   * tunnel to the original destination); without it, a connection that is not HTTP is closed. */
  opaque: Upstream | ((socket: Socket, ctx: ConnectionContext, head: Buffer | undefined) => void) | undefined;
  idleTimeoutMs: number;
}

export function detectAndDispatch(
  gen: Generation,
  config: ListenerConfig,
  targets: AutoTargets,
): ConnectionHandler {
  const detectTimeoutMs = config.detect_timeout;
  return (socket, ctx) => {
    let buffered: Buffer | undefined;
    const done = (verdict: "http" | "tls" | "opaque" | "close", reason: string) => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("error", onError);
      socket.off("end", onEnd);
      socket.pause();
      if (verdict === "http") {
        if (buffered) socket.unshift(buffered);
        targets.http(socket, ctx);
        // The HTTP engine listens for 'data' to read the unshifted bytes again, which does not undo the
        // explicit pause() above: without this the connection would sit until the header timeout.
        socket.resume();
      } else if (verdict === "tls" && targets.tls && buffered) {
        targets.tls(socket, ctx, buffered);
      } else if (verdict === "opaque" && targets.opaque) {
        const opaque = targets.opaque;
        if (typeof opaque === "function") opaque(socket, ctx, buffered);
        else proxyTcp(gen, opaque, socket, ctx, { idleTimeoutMs: targets.idleTimeoutMs, head: buffered });
      } else {
        gen.metrics.protocolErrors.inc({ listener: ctx.listener, code: "NOT_DETECTED" });
        gen.log.info(
          { listener: ctx.listener, conn: ctx.id, client: ctx.clientAddress, reason },
          "connection closed",
        );
        socket.destroy();
      }
    };
    const onData = (chunk: Buffer) => {
      buffered = buffered ? Buffer.concat([buffered, chunk]) : chunk;
      const kind = detectProtocol(buffered);
      if (kind === "incomplete") return;
      gen.metrics.detections.inc({ listener: ctx.listener, result: kind === "unknown" ? "other" : kind });
      if (kind === "http1" || kind === "http2") done("http", kind);
      else if (kind === "tls" && targets.tls) done("tls", kind);
      // Without a tls table, TLS is passed through as opaque bytes.
      else done(targets.opaque ? "opaque" : "close", kind === "tls" ? "tls without termination" : "not http");
    };
    const onError = () => socket.destroy();
    const onEnd = () => {
      gen.metrics.detections.inc({ listener: ctx.listener, result: "closed" });
      done(targets.opaque ? "opaque" : "close", "client closed before detection");
    };
    const timer = setTimeout(() => {
      gen.metrics.detections.inc({ listener: ctx.listener, result: "timeout" });
      done(targets.opaque ? "opaque" : "close", "detection timed out");
    }, detectTimeoutMs);
    socket.on("data", onData);
    socket.on("error", onError);
    socket.on("end", onEnd);
  };
}
