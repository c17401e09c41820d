// A listener: one listening socket, the connection cap, and the handler its protocol calls for.
// It does not bind: the socket comes from `bind.ts` (in-process) or from the supervisor (a passed fd).
import { createServer, type Server, type Socket } from "node:net";
import type { ListenerConfig } from "../config/schema/index.ts";
import { withConnectionFilters } from "../filters/connection.ts";
import type { Generation } from "../generation.ts";
import type { HttpService } from "../http/index.ts";
import type { createTlsFront, TlsFront } from "../tls/front.ts";
import { detectAndDispatch } from "./auto.ts";
import { type ConnectionHandler, newConnectionContext } from "./connection.ts";
import { type HandshakeStep, withHandshake } from "./handshake/index.ts";
import { originalDstStep } from "./handshake/original-dst.ts";
import { proxyFromStep } from "./handshake/proxy-from.ts";
import { proxyHeaderStep } from "./handshake/proxy-header.ts";
import { proxyTcp } from "./tcp-proxy.ts";
import { transparentHandler } from "./transparent.ts";

/** Where the listening socket comes from: a file descriptor bound by the supervisor, or a handle
 * (net.Server `listen()` argument) for in-process binding. */
export type ListenSource = { fd: number } | { path: string } | { host: string; port: number };

export class Listener {
  readonly name: string;
  readonly config: ListenerConfig;
  readonly server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #http: HttpService | undefined;
  readonly #tls: TlsFront | undefined;

  private constructor(
    name: string,
    config: ListenerConfig,
    gen: Generation,
    http: HttpService | undefined,
    tls: typeof createTlsFront | undefined,
  ) {
    this.name = name;
    this.config = config;
    this.#http = http;
    // TLS termination in front of the HTTP engine; throws CertificateError when a certificate cannot serve.
    this.#tls = tls && http ? tls(gen, name, config, http.handle) : undefined;
    // Connection filters (cidr, connection_limit) run last, on the real client address.
    const handler = withHandshake(
      handshakeSteps(gen, config),
      withConnectionFilters(gen, name, this.#handlerFor(gen)),
    );
    const { connectionsTotal, connectionsActive, connectionsRejected } = gen.metrics;
    const labels = { listener: name };
    const bytesIn = gen.metrics.bytes.labels(name, "in");
    const bytesOut = gen.metrics.bytes.labels(name, "out");
    this.server = createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: false }, (socket) => {
      connectionsTotal.inc(labels);
      connectionsActive.inc(labels);
      this.#sockets.add(socket);
      socket.once("close", () => {
        this.#sockets.delete(socket);
        connectionsActive.dec(labels);
        bytesIn.inc(socket.bytesRead);
        bytesOut.inc(socket.bytesWritten);
      });
      handler(socket, newConnectionContext(name, socket));
    });
    // Node closes connections over the cap itself and tells us with 'drop'.
    if (config.max_connections > 0) this.server.maxConnections = config.max_connections;
    this.server.on("drop", () => {
      connectionsRejected.inc({ listener: name, reason: "max_connections" });
      gen.log.warn({ listener: name }, "connection refused: max_connections reached");
    });
  }

  static async create(name: string, config: ListenerConfig, gen: Generation): Promise<Listener> {
    // Transparent listeners add the filter that sends what no route matches to the original destination.
    const extra = config.transparent
      ? [(await import("./transparent-http.ts")).transparentHttpFilter(gen)]
      : [];
    // The HTTP engine is loaded only by configs that have HTTP listeners.
    const http =
      config.protocol === "tcp"
        ? undefined
        : (await import("../http/index.ts")).createHttpService(gen, name, extra);
    // Likewise the TLS front, only for listeners with a tls table.
    const tls = config.tls === undefined ? undefined : (await import("../tls/front.ts")).createTlsFront;
    return new Listener(name, config, gen, http, tls);
  }

  #handlerFor(gen: Generation): ConnectionHandler {
    const upstream = this.config.upstream ? gen.upstreams.get(this.config.upstream) : undefined;
    const idleTimeoutMs = this.config.idle_timeout;
    const tcp: ConnectionHandler | undefined = upstream
      ? (socket, ctx) => proxyTcp(gen, upstream, socket, ctx, { idleTimeoutMs })
      : undefined;
    if (this.config.transparent)
      return transparentHandler(gen, this.config, { http: this.#http?.handle, tls: this.#tls });
    if (this.config.protocol === "tcp") return tcp as ConnectionHandler;
    const http = this.#http as HttpService;
    const tls = this.#tls;
    if (this.config.protocol === "http") return tls ? (socket, ctx) => tls.accept(socket, ctx) : http.handle;
    return detectAndDispatch(gen, this.config, {
      http: http.handle,
      tls: tls && ((socket, ctx, head) => tls.accept(socket, ctx, head)),
      opaque: upstream,
      idleTimeoutMs,
    });
  }

  listen(source: ListenSource): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen({ ...source, backlog: this.config.backlog }, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
  }

  get connections(): number {
    return this.#sockets.size;
  }

  /** Stop accepting; let connections finish for `graceMs`; then close what is left. */
  async close(graceMs: number): Promise<void> {
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.#tls?.close();
    const drained = this.#http ? this.#http.close(graceMs) : Promise.resolve();
    const deadline = Date.now() + graceMs;
    while (this.#sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const socket of this.#sockets) socket.destroy();
    await Promise.all([drained, stopped]);
  }
}

/** What runs before the protocol handler (tcp, http, or detection on auto listeners), in order. */
function handshakeSteps(gen: Generation, config: ListenerConfig): HandshakeStep[] {
  const steps: HandshakeStep[] = [];
  // Transparent listeners: the original destination first (it reads no bytes), closing loops at once.
  if (config.transparent) steps.push(originalDstStep(gen, config));
  if (config.proxy_protocol !== undefined) {
    const from = proxyFromStep(gen, config);
    if (from !== undefined) steps.push(from);
    steps.push(proxyHeaderStep(gen, config));
  }
  return steps;
}
