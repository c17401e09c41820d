// weir's HTTP reverse proxy as the listener sees it: `createHttpService(gen, listener)` compiles the
// routes and phases of one listener once per generation, and `handle` takes each accepted connection,
// tells HTTP/2 prior knowledge from HTTP/1 by its first bytes, and hands it to weir's HTTP/1
// front end (h1/) or to node:http2's. `close` drains gracefully.
import type { Http2Session } from "node:http2";
import type { Socket } from "node:net";
import { acmeHttp01Filter } from "../acme/served.ts";
import { normalizePathFilter } from "../filters/normalize-path/index.ts";
import { acquireRouteFilters, releaseRouteFilters, routeFiltersHook } from "../filters/provision.ts";
import type { Generation } from "../generation.ts";
import type { ConnectionContext, ConnectionHandler } from "../listener/connection.ts";
import { detectProtocol } from "../protocol/detect.ts";
import { acquirePools, releasePools } from "../upstream/pool/index.ts";
import { accessLogFilter } from "./access-log.ts";
import { balancerFilter, routingFilter } from "./builtin-filters.ts";
import { forwardedHeaders } from "./forwarded.ts";
import { createHttp1Server } from "./h1/server.ts";
import { createHttp2Server, tagSession } from "./h2.ts";
import { compilePhases, type HttpFilter } from "./phases.ts";
import { ProxyEngine } from "./proxy.ts";
import type { ConnectionState } from "./request-context.ts";
import { compileRoutes } from "./routes.ts";
import { compileTrusted, displayAddress } from "./trusted.ts";

export interface HttpService {
  /** Serve one accepted connection of an HTTP listener. The socket may already have had its first bytes read
   *  and unshifted back (detection on "auto" listeners). Detect h2c prior knowledge vs HTTP/1 yourself. */
  handle: ConnectionHandler;
  /** Graceful drain: stop keep-alive reuse, let in-flight requests finish, resolve when all are done or
   *  after `graceMs`, then destroy what is left. */
  close(graceMs: number): Promise<void>;
}

export { HTTP_ERRORS, HttpError } from "./errors.ts";
export type { HttpFilter, Phases, Reply, Verdict } from "./phases.ts";
export type { RequestContext } from "./request-context.ts";

/** How long a silent new connection may wait for its first bytes when header_timeout is 0s. */
const DETECT_TIMEOUT_FALLBACK_MS = 10_000;

export function createHttpService(
  gen: Generation,
  listenerName: string,
  extraFilters: readonly HttpFilter[] = [],
): HttpService {
  const listener = gen.config.listeners[listenerName];
  if (listener === undefined) throw new Error(`no listener named "${listenerName}"`);
  const http = listener.http;
  const trust = compileTrusted(http.trusted_proxies);
  // Route filters first: a filter that cannot be provisioned fails the service before it holds pools.
  const routeFilters = acquireRouteFilters(gen);
  const pools = acquirePools(gen);
  const sockets = new Set<Socket>();
  const sessions = new Set<Http2Session>();
  let draining = false;
  let closing: Promise<void> | undefined;

  // Order per phase: the path is normalised before routing (so no spelling dodges a route or a rule),
  // the matched route's own filters run after routing and before the balancer picks a peer.
  const routeHook = routeFiltersHook(routeFilters);
  const phases = compilePhases([
    // ACME HTTP-01 answers come before any filter or route (and only exist with [acme]).
    ...(gen.config.acme === undefined ? [] : [acmeHttp01Filter]),
    normalizePathFilter,
    routingFilter(compileRoutes(gen, listenerName)),
    ...(routeHook === undefined ? [] : [routeHook]),
    balancerFilter,
    ...extraFilters,
    forwardedHeaders,
    accessLogFilter(gen, listenerName),
  ]);
  const engine = new ProxyEngine(gen, listenerName, phases, pools, {
    draining: () => draining,
    // A response that finishes while draining takes its idle HTTP/1 connection with it.
    onFinished: (ctx) => {
      if (draining && !ctx.isH2 && ctx.conn.inflight === 0) (ctx.req as { socket?: Socket }).socket?.end();
    },
  });
  routeFilters.engines.set(listenerName, engine);
  const h1 = createHttp1Server(engine, http);
  const h2 = createHttp2Server(engine, http, (session) => {
    const socket = session.socket as Socket & { [kConnOf]?: ConnectionState };
    const conn = socket[kConnOf];
    if (conn === undefined) return void session.destroy();
    tagSession(session, conn);
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    if (draining) session.close();
  });

  function serve(socket: Socket, conn: ConnectionState, first: Buffer | undefined): void {
    const kind = first === undefined ? "http1" : detectProtocol(first);
    if (kind === "http2") {
      if (first !== undefined && first.length > 0) socket.unshift(first);
      (socket as Socket & { [kConnOf]?: ConnectionState })[kConnOf] = conn;
      // node:http2 reads bytes already buffered on the socket itself; resuming would lose them.
      h2.emit("connection", socket);
    } else {
      h1.handle(socket, conn, first);
    }
  }

  const handle: ConnectionHandler = (socket: Socket, ctx: ConnectionContext) => {
    const conn: ConnectionState = {
      ctx,
      trusted: trust(ctx.clientAddress),
      trust,
      client: displayAddress(ctx.clientAddress),
      proto: (socket as Socket & { encrypted?: boolean }).encrypted === true ? "https" : "http",
      inflight: 0,
      current: undefined,
    };
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    // A connection the listener accepted just before it stopped is served even while draining: its
    // request gets an answer with Connection: close (HTTP/2: a GOAWAY), never a reset. The drain's
    // deadline still bounds it.
    readPreface(
      socket,
      (first) => serve(socket, conn, first),
      http.header_timeout || DETECT_TIMEOUT_FALLBACK_MS,
    );
  };

  async function close(graceMs: number): Promise<void> {
    closing ??= drain(graceMs);
    return closing;
  }

  async function drain(graceMs: number): Promise<void> {
    draining = true;
    const deadline = Date.now() + graceMs;
    for (const session of sessions) session.close();
    // Busy HTTP/1 connections close after their response (Connection: close); idle ones are closed. Not
    // at once: a connection accepted just before the listener stopped counts as idle until its first
    // request is parsed, and closing it would reset a client that did nothing wrong (a fresh connection
    // is not retried as a reused one is, RFC 9112 §9.3.1). Its request arrives within the pause.
    await waitFor(() => sockets.size === 0, Math.min(FRESH_CONNECTION_PAUSE_MS, graceMs));
    h1.closeIdle();
    await waitFor(() => sockets.size === 0, Math.max(0, deadline - Date.now()));
    for (const socket of sockets) socket.destroy();
    for (const session of sessions) session.destroy();
    h1.close();
    await releasePools(gen, Math.max(0, deadline - Date.now()));
    if (routeFilters.engines.get(listenerName) === engine) routeFilters.engines.delete(listenerName);
    await releaseRouteFilters(gen);
  }

  return { handle, close };
}

const kConnOf = Symbol("weir.pendingConnection");

/** How long a drain waits before closing idle HTTP/1 connections (see drain()). */
const FRESH_CONNECTION_PAUSE_MS = 250;

/**
 * Collects the client's first bytes until HTTP/2's preface is ruled in or out, then unshifts them and
 * calls `done`. The bytes are read once and put back; nothing is lost or consumed.
 */
function readPreface(socket: Socket, done: (first: Buffer | undefined) => void, timeoutMs: number): void {
  let received: Buffer | undefined;
  const stop = (): void => {
    clearTimeout(timer);
    socket.off("data", onData);
    socket.off("end", onEnd);
    socket.off("close", stop);
  };
  // A client that sends nothing within the header timeout is dropped (slowloris before the first byte).
  const timer = setTimeout(() => {
    stop();
    socket.destroy();
  }, timeoutMs);
  const onData = (chunk: Buffer): void => {
    received = received === undefined ? chunk : Buffer.concat([received, chunk]);
    if (detectProtocol(received) === "incomplete") return;
    stop();
    socket.pause();
    done(received);
  };
  // The client ended before its bytes said which protocol it speaks: nothing can be served.
  const onEnd = (): void => {
    stop();
    socket.destroy();
  };
  socket.on("data", onData);
  socket.once("end", onEnd);
  socket.once("close", stop);
}

function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const deadline = Date.now() + timeoutMs;
    const check = (): void => {
      if (condition() || Date.now() >= deadline) {
        resolve();
        return;
      }
      setTimeout(check, 20);
    };
    check();
  });
}
