/**
 * The L4 tunnel: two connected sockets and one context that owns them
 * (DESIGN.md "L4 tunnel"). Raw TCP listeners, passthrough TLS, CONNECT and
 * WebSocket upgrades all end here.
 *
 * Contract:
 * - Bytes flow both ways unchanged, with backpressure: when one side's write
 *   buffer is over its high-water mark the other side stops being read until
 *   'drain'.
 * - A FIN from one side becomes a half-close (`end()`) towards the other while
 *   the opposite direction keeps flowing (RFC 9293 §3.6: a closed direction
 *   does not close the connection). Both sockets must therefore allow half-open
 *   connections: create them with `allowHalfOpen: true` (`net.createServer`,
 *   `net.connect`, and `connectUpstream` in connect.ts do). `openTunnel` sets
 *   the documented `allowHalfOpen` property to true as a safety net, which only
 *   helps if no FIN arrived before the tunnel was opened.
 * - When both directions have ended and both sockets have closed, the tunnel
 *   closes with reason "done".
 * - An error on either socket destroys both ("client_error" / "upstream_error").
 * - No byte in either direction for `idleTimeoutMs` destroys both
 *   ("idle_timeout"). Checked by the coarse shared clock in idle-clock.ts.
 * - A socket destroyed by someone else, or `tunnel.destroy()`, destroys both
 *   ("aborted" unless another reason is given).
 * - `onClose` is called exactly once, with the final stats.
 * - Plain TCP and Unix sockets are re-opened to read into reused buffers
 *   (fixed-reads.ts): `tunnel.client` and `tunnel.upstream` may then be new
 *   socket objects for the same connections. Callers hand both sockets over and
 *   touch neither again (no `resume()`: the tunnel resumes what it reads).
 */

import type { Socket } from "node:net";
import { adoptForFixedReads } from "./fixed-reads.ts";
import { type IdleSubject, unwatchIdle, watchIdle } from "./idle-clock.ts";

/** Why a tunnel closed. One small set, usable as a metrics label. */
export const CLOSE_REASONS = ["done", "idle_timeout", "client_error", "upstream_error", "aborted"] as const;
export type CloseReason = (typeof CLOSE_REASONS)[number];

export type TunnelSide = "client" | "upstream";

export interface TunnelStats {
  /** Bytes received from the client (and sent, or meant to be sent, upstream), `head` included. */
  bytesFromClient: number;
  /** Bytes received from the upstream (and sent, or meant to be sent, to the client). */
  bytesFromUpstream: number;
  durationMs: number;
  closeReason: CloseReason;
  /** The side that first ended (sent FIN) or failed; null if neither did (idle, aborted). */
  firstClosed: TunnelSide | null;
  /** The socket error behind "client_error" / "upstream_error". */
  error: Error | undefined;
}

export interface TunnelOptions {
  /** Destroy both sockets after this long without a byte either way; 0 disables. */
  idleTimeoutMs: number;
  /**
   * Bytes already read from the client that belong to the upstream (e.g. what
   * followed a CONNECT head or an HTTP Upgrade request); written upstream first.
   */
  head?: Uint8Array;
  onClose?: (stats: TunnelStats) => void;
}

export class Tunnel implements IdleSubject {
  /** The client connection (the socket given, or the one that replaced it to read into a fixed buffer). */
  readonly client: Socket;
  readonly upstream: Socket;
  bytesFromClient = 0;
  bytesFromUpstream = 0;
  readonly startedAt = performance.now();
  #closed = false;
  #firstClosed: TunnelSide | null = null;
  #clientClosed = false;
  #upstreamClosed = false;
  readonly #idleTimeoutMs: number;
  readonly #onClose: ((stats: TunnelStats) => void) | undefined;
  /** Destroys the sockets that adopted ones replaced; called once, when the tunnel finishes. */
  readonly #releaseOriginals: (() => void)[] = [];

  constructor(givenClient: Socket, givenUpstream: Socket, opts: TunnelOptions) {
    this.#idleTimeoutMs = opts.idleTimeoutMs;
    this.#onClose = opts.onClose;
    const adoptedClient = adoptForFixedReads(givenClient, this.#onClientData, () => this.upstream);
    const adoptedUpstream = adoptForFixedReads(givenUpstream, this.#onUpstreamData, () => this.client);
    const client = adoptedClient?.socket ?? givenClient;
    const upstream = adoptedUpstream?.socket ?? givenUpstream;
    this.client = client;
    this.upstream = upstream;
    if (adoptedClient) this.#releaseOriginals.push(adoptedClient.releaseOriginal);
    if (adoptedUpstream) this.#releaseOriginals.push(adoptedUpstream.releaseOriginal);
    client.allowHalfOpen = true;
    upstream.allowHalfOpen = true;

    if (opts.head !== undefined && opts.head.length > 0) {
      this.bytesFromClient += opts.head.length;
      upstream.write(opts.head);
    }
    // What the replaced sockets had read and nobody consumed goes first, in order.
    if (adoptedClient?.buffered) this.#onClientData(adoptedClient.buffered);
    if (adoptedUpstream?.buffered) this.#onUpstreamData(adoptedUpstream.buffered);

    // Adopted sockets deliver through their `onread` callback, the others through 'data'.
    if (!adoptedClient) client.on("data", this.#onClientData);
    if (!adoptedUpstream) upstream.on("data", this.#onUpstreamData);
    upstream.on("drain", this.#onUpstreamDrain);
    client.on("drain", this.#onClientDrain);
    client.on("end", this.#onClientEnd);
    upstream.on("end", this.#onUpstreamEnd);
    client.on("error", this.#onClientError);
    upstream.on("error", this.#onUpstreamError);
    client.on("close", this.#onClientClose);
    upstream.on("close", this.#onUpstreamClose);

    // A socket the caller paused (e.g. while detecting the protocol) stays
    // paused when a 'data' listener is added; the tunnel owns it now.
    client.resume();
    upstream.resume();
    watchIdle(this, this.#idleTimeoutMs);

    // A FIN that arrived while the caller still held the socket (detection read the bytes and the end
    // together) emitted 'end' before these listeners existed: forward it now, after `head`.
    if (client.readableEnded && !client.destroyed) this.#onClientEnd();
    if (upstream.readableEnded && !upstream.destroyed) this.#onUpstreamEnd();

    // A socket that closed before the tunnel opened will never emit 'close'
    // again. Finish on a microtask so `onClose` never runs before the caller
    // holds the returned tunnel.
    if (client.destroyed || upstream.destroyed) queueMicrotask(() => this.destroy("aborted"));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Tears both sockets down now (graceful shutdown, admin action). Idempotent. */
  destroy(reason: CloseReason = "aborted", error?: Error): void {
    if (this.#closed) return;
    this.#finish(reason, error);
  }

  /** Stats so far; final once `closed` is true. */
  stats(reason: CloseReason = "done", error?: Error): TunnelStats {
    return {
      bytesFromClient: this.bytesFromClient,
      bytesFromUpstream: this.bytesFromUpstream,
      durationMs: performance.now() - this.startedAt,
      closeReason: reason,
      firstClosed: this.#firstClosed,
      error,
    };
  }

  activityCount(): number {
    return this.bytesFromClient + this.bytesFromUpstream;
  }

  onIdleTimeout(): void {
    this.destroy("idle_timeout");
  }

  // Hot path: one add, one write, pause only when the other side is full.
  #onClientData = (chunk: Buffer): void => {
    this.bytesFromClient += chunk.length;
    if (!this.upstream.write(chunk)) this.client.pause();
  };

  #onUpstreamData = (chunk: Buffer): void => {
    this.bytesFromUpstream += chunk.length;
    if (!this.client.write(chunk)) this.upstream.pause();
  };

  #onUpstreamDrain = (): void => {
    this.client.resume();
  };

  #onClientDrain = (): void => {
    this.upstream.resume();
  };

  #onClientEnd = (): void => {
    this.#firstClosed ??= "client";
    this.upstream.end();
  };

  #onUpstreamEnd = (): void => {
    this.#firstClosed ??= "upstream";
    this.client.end();
  };

  #onClientError = (err: Error): void => {
    this.#firstClosed ??= "client";
    this.destroy("client_error", err);
  };

  #onUpstreamError = (err: Error): void => {
    this.#firstClosed ??= "upstream";
    this.destroy("upstream_error", err);
  };

  #onClientClose = (): void => {
    this.#clientClosed = true;
    this.#onSocketClose(this.client);
  };

  #onUpstreamClose = (): void => {
    this.#upstreamClosed = true;
    this.#onSocketClose(this.upstream);
  };

  /**
   * A socket closes cleanly only after its read side ended (peer FIN) and its
   * write side finished (our FIN, sent because the other peer ended). Any other
   * close means someone destroyed it under us.
   */
  #onSocketClose(socket: Socket): void {
    if (this.#closed) return;
    if (!(socket.readableEnded && socket.writableFinished)) {
      this.#finish("aborted", undefined);
    } else if (this.#clientClosed && this.#upstreamClosed) {
      this.#finish("done", undefined);
    }
  }

  #finish(reason: CloseReason, error: Error | undefined): void {
    this.#closed = true;
    unwatchIdle(this, this.#idleTimeoutMs);
    this.client.destroy();
    this.upstream.destroy();
    for (const release of this.#releaseOriginals) release();
    // The error listeners stay attached so a late error cannot go unhandled.
    const onClose = this.#onClose;
    if (onClose !== undefined) onClose(this.stats(reason, error));
  }
}

/** Joins two connected sockets into a tunnel; see the contract at the top of this file. */
export function openTunnel(client: Socket, upstream: Socket, opts: TunnelOptions): Tunnel {
  return new Tunnel(client, upstream, opts);
}
