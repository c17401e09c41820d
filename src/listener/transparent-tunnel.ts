// Raw TCP to a redirected connection's original destination: what a transparent listener does with opaque
// ports, undetected bytes, and TLS it holds no certificate for (passed through, so the client meets the
// origin's own certificate). One access log line per tunnel, like a "tcp" listener's, with upstream
// "original_dst" and the destination as endpoint and original_dst.
import type { Socket } from "node:net";
import type { Generation } from "../generation.ts";
import { connectUpstream } from "../tunnel/connect.ts";
import { openTunnel } from "../tunnel/tunnel.ts";
import type { ConnectionContext } from "./connection.ts";
import { recordConnectFailure, recordTunnelEnd } from "./tcp-session-log.ts";
import { trackOwnTunnel } from "./transparent-own.ts";

/** The upstream label of everything sent to an original destination (logs and metrics). */
export const ORIGINAL_DST_UPSTREAM = "original_dst";

/** How long a connect to an original destination may take (as an upstream's default connect_timeout). */
export const ORIGINAL_DST_CONNECT_TIMEOUT_MS = 5000;

export interface OriginalTunnelOptions {
  idleTimeoutMs: number;
  /** Bytes already read from the client (detection, a ClientHello), written first. */
  head?: Buffer | undefined;
}

/** "10.0.0.1:80", "[fd00::1]:80". */
export function destinationKey(ctx: ConnectionContext): string {
  const dst = ctx.originalDst;
  if (dst === undefined) return "";
  return dst.family === 6 ? `[${dst.address}]:${dst.port}` : `${dst.address}:${dst.port}`;
}

/** Tunnels `client` to ctx.originalDst; owns the socket from here on. */
export function tunnelToOriginal(
  gen: Generation,
  client: Socket,
  ctx: ConnectionContext,
  opts: OriginalTunnelOptions,
): void {
  const dst = ctx.originalDst;
  if (dst === undefined) return void client.destroy();
  const early = () => {};
  client.on("error", early);
  client.pause();
  const started = Date.now();
  const endpoint = destinationKey(ctx);
  const connecting = performance.now();
  const target = { upstream: ORIGINAL_DST_UPSTREAM, endpoint, original_dst: endpoint };
  connectUpstream({ host: dst.address, port: dst.port }, { timeoutMs: ORIGINAL_DST_CONNECT_TIMEOUT_MS }).then(
    (socket) => {
      const connectMs = performance.now() - connecting;
      gen.metrics.upstreamConnectDuration.labels(ORIGINAL_DST_UPSTREAM).observe(connectMs / 1000);
      client.off("error", early);
      if (client.destroyed) return void socket.destroy();
      // Remembered while open, so that a redirect of this very socket back to weir is seen as a loop.
      const release = trackOwnTunnel(socket.localAddress, socket.localPort);
      openTunnel(client, socket, {
        idleTimeoutMs: opts.idleTimeoutMs,
        head: opts.head,
        onClose(stats) {
          release();
          recordTunnelEnd(gen, ctx, target, stats, { startedAt: started, connectMs });
        },
      });
    },
    (err: NodeJS.ErrnoException) => {
      const code = err.code ?? "ERROR";
      gen.metrics.upstreamConnectFailures.inc({ upstream: ORIGINAL_DST_UPSTREAM, code });
      gen.log.warn(
        { listener: ctx.listener, conn: ctx.id, client: ctx.clientAddress, original_dst: endpoint, code },
        `connect to the original destination failed: ${err.message}`,
      );
      client.off("error", early);
      client.destroy();
      recordConnectFailure(gen, ctx, target, code, started);
    },
  );
}
