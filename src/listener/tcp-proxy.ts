// What a "tcp" listener does with each connection: connect to an endpoint of its upstream and tunnel.
// Also the fallback of "auto" listeners for bytes that are not HTTP.
import type { Socket } from "node:net";
import type { Generation } from "../generation.ts";
import { connectUpstream } from "../tunnel/connect.ts";
import { openTunnel } from "../tunnel/tunnel.ts";
import type { Upstream } from "../upstream/upstream.ts";
import type { ConnectionContext } from "./connection.ts";

export interface TcpProxyOptions {
  idleTimeoutMs: number;
  /** Bytes already read from the client (detection), written upstream first. */
  head?: Buffer;
}

/** Tunnels `client` to `upstream`; owns the socket from here on. Tracked tunnels can be cut at shutdown. */
export function proxyTcp(
  gen: Generation,
  upstream: Upstream,
  client: Socket,
  ctx: ConnectionContext,
  opts: TcpProxyOptions,
): void {
  const endpoint = upstream.pick();
  if (!endpoint) {
    gen.log.warn(
      { listener: ctx.listener, conn: ctx.id, upstream: upstream.name },
      "no endpoint to connect to",
    );
    client.destroy();
    return;
  }
  // Until the upstream answers, a client error must not go unhandled; the tunnel takes over after.
  const early = () => {};
  client.on("error", early);
  client.pause();
  const started = Date.now();
  connectUpstream(endpoint, { timeoutMs: upstream.config.connect_timeout }).then(
    (socket) => {
      client.off("error", early);
      if (client.destroyed) {
        socket.destroy();
        return;
      }
      openTunnel(client, socket, {
        idleTimeoutMs: opts.idleTimeoutMs,
        head: opts.head,
        onClose(stats) {
          const m = gen.metrics;
          m.tunnelBytes.inc({ listener: ctx.listener, direction: "in" }, stats.bytesFromClient);
          m.tunnelBytes.inc({ listener: ctx.listener, direction: "out" }, stats.bytesFromUpstream);
          m.tunnelsClosed.inc({ listener: ctx.listener, reason: stats.closeReason });
          gen.accessLog?.info({
            type: "tcp",
            listener: ctx.listener,
            conn: ctx.id,
            client: ctx.clientAddress,
            client_port: ctx.clientPort,
            upstream: upstream.name,
            endpoint: endpoint.key,
            bytes_in: stats.bytesFromClient,
            bytes_out: stats.bytesFromUpstream,
            duration_ms: Date.now() - started,
            close: stats.closeReason,
            first_closed: stats.firstClosed,
          });
        },
      });
      client.resume();
    },
    (err: NodeJS.ErrnoException) => {
      client.off("error", early);
      const code = err.code ?? "ERROR";
      gen.metrics.upstreamConnectFailures.inc({ upstream: upstream.name, code });
      gen.log.warn(
        {
          listener: ctx.listener,
          conn: ctx.id,
          client: ctx.clientAddress,
          upstream: upstream.name,
          endpoint: endpoint.key,
          code,
        },
        `upstream connect failed: ${err.message}`,
      );
      client.destroy();
    },
  );
}
