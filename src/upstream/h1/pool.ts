// weir's HTTP/1.1 client for one upstream endpoint: keep-alive connections up to a limit, requests queued
// in arrival order beyond it, response and idle timeouts checked by one coarse timer per pool rather than
// a timer per request. It takes the same handler as undici's dispatchers, so the engine drives it and the
// undici pools of HTTP/2 upstreams alike.
//
// Why not undici here: measured with the bench's TLS keep-alive run, undici's per-request machinery
// (its request object, handler wrappers, llhttp in WebAssembly) was most of weir's CPU per request above
// what a plain byte relay costs; this client parses the few bytes of a response head in JS and hands body
// bytes on untouched. Plain TCP connections read into a reused buffer (plain-connect.ts); TLS and
// PROXY-header connections come from undici's connectors, which only run when a connection opens.

import type { Socket } from "node:net";
import type { buildConnector, Dispatcher } from "undici";
import { type ConnectionOwner, UpstreamConnection } from "./connection.ts";
import { Exchange, type UpstreamRequest } from "./exchange.ts";
import { connectPlain, type ReusedReads } from "./plain-connect.ts";

export type { UpstreamRequest } from "./exchange.ts";

function ignoreRead(): void {}

export interface H1PoolOptions {
  /** Opens one connection (undici's connector shape: TLS, PROXY header first); unset: plain TCP. */
  connect?: buildConnector.connector | undefined;
  /** Plain TCP only (a connector has its own): time to connect; then CONNECT_TIMEOUT. */
  connectTimeoutMs: number;
  /** The endpoint: host without brackets, port, and the scheme of its connector. */
  hostname: string;
  port: number;
  protocol: "http:" | "https:";
  maxConnections: number;
  /** From the end of the request to the response head, and between response bytes; then 504. */
  responseTimeoutMs: number;
  /** How long an idle connection is kept. */
  idleTimeoutMs: number;
}

export interface PoolStats {
  connected: number;
  free: number;
  running: number;
  pending: number;
}

export class H1Pool implements ConnectionOwner {
  readonly hostHeader: string;
  readonly idleTimeoutMs: number;
  readonly #opts: H1PoolOptions;
  readonly #all = new Set<UpstreamConnection>();
  /** Idle connections, most recently used last: reuse takes the warmest, the coldest idle out. */
  readonly #idle: UpstreamConnection[] = [];
  readonly #queue: Exchange[] = [];
  #connecting = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #destroyed = false;
  #drained: (() => void) | undefined;
  #closing: Promise<void> | undefined;

  constructor(opts: H1PoolOptions) {
    this.#opts = opts;
    this.idleTimeoutMs = opts.idleTimeoutMs;
    const host = opts.hostname.includes(":") ? `[${opts.hostname}]` : opts.hostname;
    this.hostHeader = `${host}:${opts.port}`;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  get stats(): PoolStats {
    const connected = this.#all.size;
    const free = this.#idle.length;
    return { connected, free, running: connected - free, pending: this.#queue.length };
  }

  /** Sends `request`; `handler` hears how it goes. False when the pool is closed (the handler hears why). */
  dispatch(request: UpstreamRequest, handler: Dispatcher.DispatchHandler): boolean {
    const ex = new Exchange(request, handler);
    if (this.#closed) {
      queueMicrotask(() => ex.fail(new Error("upstream pool is closed")));
      return false;
    }
    for (let conn = this.#idle.pop(); conn !== undefined; conn = this.#idle.pop()) {
      if (conn.usable) {
        conn.start(ex);
        return true;
      }
      conn.socket.destroy();
    }
    this.#queue.push(ex);
    this.#open(); // if below maxConnections; otherwise it waits for a connection to come free
    return true;
  }

  connectionReleased(conn: UpstreamConnection): void {
    if (!conn.usable) {
      // Its 'close' comes next: connectionClosed() forgets it and opens another for whatever waits.
      conn.socket.destroy();
      return;
    }
    const next = this.#nextQueued();
    if (next !== undefined) {
      conn.start(next);
      return;
    }
    conn.markIdle(Date.now());
    this.#idle.push(conn);
    this.#checkDrained();
  }

  connectionClosed(conn: UpstreamConnection): void {
    this.#all.delete(conn);
    const i = this.#idle.indexOf(conn);
    if (i >= 0) this.#idle.splice(i, 1);
    if (this.#queue.length > 0 && !this.#destroyed) this.#open();
    this.#checkDrained();
  }

  /** Lets queued and running requests finish, then closes every connection. */
  close(): Promise<void> {
    this.#closed = true;
    this.#closing ??= new Promise((resolve) => {
      this.#drained = resolve;
      this.#checkDrained();
    });
    return this.#closing;
  }

  /** Fails what is queued or running and closes every connection now. */
  destroy(): Promise<void> {
    this.#closed = true;
    this.#destroyed = true;
    const err = new Error("upstream pool destroyed");
    for (const ex of this.#queue.splice(0)) ex.fail(err);
    for (const conn of this.#all) {
      conn.current?.abort(err);
      conn.socket.destroy();
    }
    this.#idle.length = 0;
    this.#stopTimer();
    this.#drained?.();
    return Promise.resolve();
  }

  #nextQueued(): Exchange | undefined {
    for (let ex = this.#queue.shift(); ex !== undefined; ex = this.#queue.shift()) {
      if (!ex.over) return ex;
    }
    return undefined;
  }

  #open(): void {
    const o = this.#opts;
    if (this.#all.size + this.#connecting >= o.maxConnections) return;
    this.#connecting++;
    if (o.connect === undefined) {
      const reads: ReusedReads = { onRead: ignoreRead };
      connectPlain({ host: o.hostname, port: o.port, timeoutMs: o.connectTimeoutMs }, reads, (err, socket) =>
        this.#connected(err, socket, reads),
      );
      return;
    }
    o.connect(
      {
        hostname: o.hostname,
        host: this.hostHeader,
        protocol: o.protocol,
        port: String(o.port),
        servername: undefined,
        localAddress: null,
        httpSocket: undefined,
      },
      (err, socket) => this.#connected(err, socket as Socket | null, undefined),
    );
  }

  #connected(err: Error | null, socket: Socket | null, reads: ReusedReads | undefined): void {
    this.#connecting--;
    if (err !== null || socket === null) {
      // The request that waited longest learns why; others wait for connections of their own.
      this.#nextQueued()?.fail(err ?? new Error("connect failed"));
      if (this.#queue.length > 0 && !this.#destroyed) this.#open();
      this.#checkDrained();
      return;
    }
    if (this.#destroyed) {
      socket.destroy();
      return;
    }
    const conn = new UpstreamConnection(socket, this, reads);
    this.#all.add(conn);
    this.#startTimer();
    this.connectionReleased(conn);
  }

  #checkDrained(): void {
    if (this.#all.size === 0 && this.#connecting === 0) this.#stopTimer();
    if (!this.#closed || this.#drained === undefined) return;
    if (this.#queue.length > 0 || this.#connecting > 0 || this.#idle.length < this.#all.size) return;
    for (const conn of this.#idle.splice(0)) {
      // Gone now, not when its 'close' event comes a tick later: stats after close() say so.
      this.#all.delete(conn);
      conn.socket.destroy();
    }
    this.#stopTimer();
    this.#drained();
  }

  #startTimer(): void {
    if (this.#timer !== undefined) return;
    const o = this.#opts;
    // Coarse on purpose: a timeout fires up to one period late. 0 turns a timeout off.
    const shortest = Math.min(o.responseTimeoutMs || 8_000, o.idleTimeoutMs || 8_000);
    const period = Math.max(10, Math.min(1_000, Math.floor(shortest / 8)));
    this.#timer = setInterval(() => this.#sweep(), period);
    this.#timer.unref();
  }

  #stopTimer(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #sweep(): void {
    const now = Date.now();
    const limit = this.#opts.responseTimeoutMs;
    for (const conn of this.#all) conn.checkTimers(now, limit);
  }
}
