// What a "tcp" listener does with each connection: connect to an endpoint of its upstream and tunnel.
// Also the fallback of "auto" listeners for bytes that are not HTTP.
import type { Socket } from "node:net";
import type { Generation } from "../generation.ts";
import { wrapUpstreamTls } from "../tls/upstream.ts";
import { connectUpstream } from "../tunnel/connect.ts";
import { openTunnel } from "../tunnel/tunnel.ts";
import { hashString } from "../upstream/balance/hash.ts";
import type { Endpoint } from "../upstream/endpoint.ts";
import type { Upstream } from "../upstream/upstream.ts";
import type { ConnectionContext } from "./connection.ts";
import { proxyHeaderFor } from "./proxy-send.ts";
import { recordConnectFailure, recordTunnelEnd } from "./tcp-session-log.ts";

export interface TcpProxyOptions {
  idleTimeoutMs: number;
  /** Bytes already read from the client (detection), written upstream first. */
  head?: Buffer;
}

/**
 * A connection to `endpoint` ready for the client's bytes: connected, the PROXY header sent (in clear,
 * before any TLS, as HAProxy does) when the upstream asks for one, and TLS established when it has a
 * `tls` table. A TLS failure counts as a failed connect (the next endpoint may be tried).
 */
async function openUpstream(upstream: Upstream, endpoint: Endpoint, ctx: ConnectionContext): Promise<Socket> {
  const socket = await connectUpstream(endpoint, { timeoutMs: upstream.config.connect_timeout });
  const proxyVersion = upstream.config.proxy_protocol;
  if (proxyVersion !== undefined) socket.write(proxyHeaderFor(proxyVersion, ctx).bytes);
  return (await wrapUpstreamTls(upstream, endpoint, socket, upstream.config.connect_timeout)) ?? socket;
}

/** Tunnels `client` to `upstream`; owns the socket from here on. Tracked tunnels can be cut at shutdown. */
export function proxyTcp(
  gen: Generation,
  upstream: Upstream,
  client: Socket,
  ctx: ConnectionContext,
  opts: TcpProxyOptions,
): void {
  // Until the upstream answers, a client error must not go unhandled; the tunnel takes over after.
  const early = () => {};
  client.on("error", early);
  client.pause();
  const started = Date.now();
  const hash = upstream.hashes ? hashString(ctx.clientAddress) : 0;
  let tried: Set<Endpoint> | undefined;
  // A refused or timed-out connect tries another endpoint (up to `retries`, within the retry budget):
  // nothing of the client's bytes has been sent yet.
  const attempt = (): void => {
    const endpoint = upstream.pick(tried, hash);
    if (!endpoint) {
      client.off("error", early);
      gen.log.warn(
        { listener: ctx.listener, conn: ctx.id, upstream: upstream.name },
        "no endpoint to connect to",
      );
      client.destroy();
      return;
    }
    if (tried === undefined) upstream.countRequest();
    const health = upstream.begin(endpoint);
    const connecting = performance.now();
    openUpstream(upstream, endpoint, ctx).then(
      (socket) => {
        const connectMs = performance.now() - connecting;
        gen.metrics.upstreamConnectDuration.labels(upstream.name).observe(connectMs / 1000);
        client.off("error", early);
        if (client.destroyed) {
          upstream.end(health, "aborted");
          socket.destroy();
          return;
        }
        openTunnel(client, socket, {
          idleTimeoutMs: opts.idleTimeoutMs,
          head: opts.head,
          onClose(stats) {
            upstream.end(health, "ok");
            recordTunnelEnd(gen, ctx, { upstream: upstream.name, endpoint: endpoint.key }, stats, {
              startedAt: started,
              connectMs,
            });
          },
        });
      },
      (err: NodeJS.ErrnoException) => {
        upstream.end(health, "failed");
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
        tried ??= new Set();
        tried.add(endpoint);
        if (!client.destroyed && tried.size <= upstream.config.retries && upstream.allowRetry()) {
          attempt();
          return;
        }
        client.off("error", early);
        client.destroy();
        recordConnectFailure(gen, ctx, { upstream: upstream.name, endpoint: endpoint.key }, code, started);
      },
    );
  };
  if (upstream.settled) attempt();
  else {
    // Before the first discovery answer: wait for it, at most the connect timeout.
    let begun = false;
    const begin = (): void => {
      if (begun) return;
      begun = true;
      clearTimeout(timer);
      if (client.destroyed) client.off("error", early);
      else attempt();
    };
    const timer = setTimeout(begin, upstream.config.connect_timeout);
    void upstream.ready.then(begin);
  }
}
