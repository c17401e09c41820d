// Requests that end in a byte tunnel: an allowed CONNECT (RFC 9110 §9.3.6) and a WebSocket upgrade
// (RFC 6455 §4, through RFC 9110 §7.8). They walk the same phases as any request (routing, peer
// selection, forwarding headers, logging) and are dispatched here instead of through undici.
import { EventEmitter } from "node:events";
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";
import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { proxyHeaderFor } from "../listener/proxy-send.ts";
import { connectUpstream } from "../tunnel/connect.ts";
import { openTunnel, type Tunnel, type TunnelStats } from "../tunnel/tunnel.ts";
import { HttpError } from "./errors.ts";
import type { ProxyEngine } from "./proxy.ts";
import type { DownstreamResponse, RequestContext } from "./request-context.ts";

/** Connect timeout for CONNECT targets, which belong to no upstream. */
const CONNECT_TARGET_TIMEOUT_MS = 5_000;
/** Longest upstream answer to an upgrade request that weir reads before giving up on its status. */
const MAX_UPGRADE_RESPONSE_HEAD = 16 * 1024;

/**
 * A DownstreamResponse over a raw HTTP/1 socket the front end handed over (CONNECT, an upgrade):
 * error replies are written by hand, then the connection closes. Emits 'close' with the socket.
 */
export class SocketResponse extends EventEmitter implements DownstreamResponse {
  readonly socket: Socket;
  /** Bytes read past the request head; they belong to the upstream. */
  readonly head: Buffer;
  headersSent = false;
  tunnel: Tunnel | undefined = undefined;

  constructor(socket: Socket, head: Buffer) {
    super();
    this.socket = socket;
    this.head = head;
    socket.once("close", () => this.emit("close"));
    // Until a tunnel owns it, an error only closes the socket (and so ends the request).
    socket.on("error", () => socket.destroy());
  }

  writeHead(status: number, headers?: OutgoingHttpHeaders | IncomingHttpHeaders): this {
    let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\nconnection: close\r\n`;
    if (headers !== undefined) {
      for (const [name, value] of Object.entries(headers)) {
        if (value !== undefined && name !== "connection") head += `${name}: ${String(value)}\r\n`;
      }
    }
    this.headersSent = true;
    this.socket.write(`${head}\r\n`);
    return this;
  }

  write(chunk: Uint8Array | string): boolean {
    return this.socket.write(chunk);
  }

  end(chunk?: Uint8Array | string): this {
    if (chunk === undefined) this.socket.end();
    else this.socket.end(chunk);
    return this;
  }

  addTrailers(): void {}

  writeContinue(): void {}

  destroy(): void {
    this.tunnel?.destroy();
    this.socket.destroy();
  }
}

function idleTimeout(engine: ProxyEngine): number {
  return engine.gen.config.listeners[engine.listener]?.idle_timeout ?? 300_000;
}

function onTunnelClosed(ctx: RequestContext, stats: TunnelStats): void {
  ctx.bytesSent = stats.bytesFromUpstream;
}

/** An allowed CONNECT over HTTP/1: "200" once the target accepted, then the bytes are the client's. */
export function connectOverHttp1(engine: ProxyEngine, ctx: RequestContext): void {
  const res = ctx.res as SocketResponse;
  const endpoint = ctx.endpoint!;
  const timeoutMs = ctx.route?.upstream?.config.connect_timeout ?? CONNECT_TARGET_TIMEOUT_MS;
  connectUpstream({ host: endpoint.host, port: endpoint.port }, { timeoutMs }).then(
    (upstream) => {
      if (ctx.finished || res.socket.destroyed) return void upstream.destroy();
      ctx.status = 200;
      res.headersSent = true;
      res.socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      res.tunnel = openTunnel(res.socket, upstream, {
        idleTimeoutMs: idleTimeout(engine),
        head: res.head,
        onClose: (stats) => onTunnelClosed(ctx, stats),
      });
    },
    (err: unknown) => engine.fail(ctx, upstreamError(err)),
  );
}

/**
 * A WebSocket upgrade: the request head goes to the endpoint over a fresh connection (pooled
 * connections cannot change protocol), its answer is passed back as it is, and then both directions
 * are a tunnel. The answer's status is read for the log; a non-101 answer ends with the connection.
 */
export function websocketUpgrade(engine: ProxyEngine, ctx: RequestContext): void {
  const res = ctx.res as SocketResponse;
  const endpoint = ctx.endpoint!;
  const timeoutMs = ctx.upstream?.config.connect_timeout ?? CONNECT_TARGET_TIMEOUT_MS;
  connectUpstream({ host: endpoint.host, port: endpoint.port }, { timeoutMs }).then(
    (upstream) => {
      if (ctx.finished || res.socket.destroyed) return void upstream.destroy();
      const h = ctx.upstreamHeaders;
      let head = `${ctx.method} ${ctx.path} HTTP/1.1\r\n`;
      for (let i = 0; i < h.length; i += 2) head += `${h[i]}: ${h[i + 1]}\r\n`;
      head += `connection: upgrade\r\nupgrade: ${ctx.upgrade}\r\n\r\n`;
      const proxyVersion = ctx.upstream?.config.proxy_protocol;
      if (proxyVersion !== undefined) upstream.write(proxyHeaderFor(proxyVersion, ctx.conn.ctx).bytes);
      upstream.write(head);
      if (res.head.length > 0) upstream.write(res.head);
      awaitUpgradeAnswer(engine, ctx, res, upstream);
    },
    (err: unknown) => engine.fail(ctx, upstreamError(err)),
  );
}

function awaitUpgradeAnswer(engine: ProxyEngine, ctx: RequestContext, res: SocketResponse, upstream: Socket) {
  let received: Buffer = Buffer.alloc(0);
  const onData = (chunk: Buffer): void => {
    received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
    const lineEnd = received.indexOf("\r\n");
    if (lineEnd < 0 && received.length < MAX_UPGRADE_RESPONSE_HEAD) return;
    cleanup();
    const status = lineEnd > 12 ? Number(received.toString("latin1", 9, 12)) : Number.NaN;
    if (!(status >= 100 && status < 600)) {
      upstream.destroy();
      engine.fail(ctx, new HttpError("BAD_RESPONSE"));
      return;
    }
    ctx.status = status;
    res.headersSent = true;
    res.socket.write(received);
    res.tunnel = openTunnel(res.socket, upstream, {
      idleTimeoutMs: idleTimeout(engine),
      onClose: (stats) => onTunnelClosed(ctx, stats),
    });
    res.tunnel.bytesFromUpstream += received.length;
  };
  const onEnd = (): void => {
    cleanup();
    upstream.destroy();
    engine.fail(ctx, new HttpError("UPSTREAM_RESET"));
  };
  const onError = (err: Error): void => {
    cleanup();
    upstream.destroy();
    engine.fail(ctx, new HttpError("UPSTREAM_RESET", err));
  };
  const onClientClose = (): void => {
    cleanup();
    upstream.destroy();
  };
  function cleanup(): void {
    upstream.off("data", onData);
    upstream.off("end", onEnd);
    upstream.off("error", onError);
    res.off("close", onClientClose);
  }
  upstream.on("data", onData);
  upstream.on("end", onEnd);
  upstream.on("error", onError);
  res.on("close", onClientClose);
}

/** An allowed CONNECT over HTTP/2 (RFC 9113 §8.5): the stream itself carries the tunnel's bytes. */
export function connectOverHttp2(engine: ProxyEngine, ctx: RequestContext): void {
  const endpoint = ctx.endpoint!;
  const stream = (ctx.res as unknown as { stream: Duplex }).stream;
  const timeoutMs = ctx.route?.upstream?.config.connect_timeout ?? CONNECT_TARGET_TIMEOUT_MS;
  connectUpstream({ host: endpoint.host, port: endpoint.port }, { timeoutMs }).then(
    (upstream) => {
      if (ctx.finished || stream.destroyed) return void upstream.destroy();
      ctx.status = 200;
      ctx.res.writeHead(200);
      upstream.on("data", (chunk: Buffer) => {
        ctx.bytesSent += chunk.length;
      });
      stream.pipe(upstream).on("error", () => stream.destroy());
      upstream.pipe(stream).on("error", () => upstream.destroy());
      stream.once("close", () => upstream.destroy());
      upstream.once("close", () => stream.destroy());
    },
    (err: unknown) => engine.fail(ctx, upstreamError(err)),
  );
}

function upstreamError(err: unknown): HttpError {
  const code = (err as { code?: unknown }).code;
  return new HttpError(code === "WEIR_CONNECT_TIMEOUT" ? "CONNECT_TIMEOUT" : "CONNECT_FAILED", err);
}
