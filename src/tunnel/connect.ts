/**
 * Opens the upstream side of a tunnel: a TCP or Unix socket that allows
 * half-open connections (the tunnel forwards FINs one direction at a time)
 * and sends small writes at once (Nagle off: a proxy must not add latency to
 * interactive protocols).
 *
 * Failure contract: the promise rejects with
 * - `ConnectTimeoutError` (code "WEIR_CONNECT_TIMEOUT") after `timeoutMs`
 *   without an established connection;
 * - the socket's own error (code "ECONNREFUSED", "EHOSTUNREACH", "ENOENT" for a
 *   missing Unix socket, ...) when the connect fails;
 * - `signal.reason` when the signal aborts first.
 * In every failure case the socket is destroyed; nothing leaks.
 */

import { connect, type Socket } from "node:net";

export type UpstreamTarget = { host: string; port: number } | { path: string };

export interface ConnectOptions {
  /** Give up when the connection is not established within this time. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export class ConnectTimeoutError extends Error {
  readonly code = "WEIR_CONNECT_TIMEOUT";
  readonly timeoutMs: number;

  constructor(target: UpstreamTarget, timeoutMs: number) {
    super(`connect to ${describeTarget(target)} timed out after ${timeoutMs} ms`);
    this.name = "ConnectTimeoutError";
    this.timeoutMs = timeoutMs;
  }
}

export function describeTarget(target: UpstreamTarget): string {
  if ("path" in target) return `unix:${target.path}`;
  return target.host.includes(":") ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
}

export function connectUpstream(target: UpstreamTarget, opts: ConnectOptions): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const { signal } = opts;
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const socket =
      "path" in target
        ? connect({ path: target.path, allowHalfOpen: true })
        : connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });

    const fail = (err: unknown): void => {
      cleanup();
      socket.destroy();
      reject(err);
    };
    const onError = (err: Error): void => fail(err);
    const onAbort = (): void => fail(signal?.reason);
    const timer = setTimeout(() => fail(new ConnectTimeoutError(target, opts.timeoutMs)), opts.timeoutMs);
    const onConnect = (): void => {
      cleanup();
      resolve(socket);
    };
    function cleanup(): void {
      clearTimeout(timer);
      socket.off("error", onError);
      socket.off("connect", onConnect);
      signal?.removeEventListener("abort", onAbort);
    }

    socket.once("connect", onConnect);
    socket.once("error", onError);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
