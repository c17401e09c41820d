// The engine that walks one request through the phases (phases.ts) and proxies it to the endpoint's pool
// (weir's HTTP/1.1 client, or undici's for HTTP/2 upstreams). It only sees RequestContext,
// DownstreamRequest and DownstreamResponse, so the HTTP/1 (h1/) and HTTP/2 (h2.ts) front ends share it.
//
// Hot path: no closure per request. The pool's handler is one Attempt object per try; response events
// reach their request through a symbol on the response object and module-level listener functions.
import { type Readable, Transform, type TransformCallback } from "node:stream";
import type { Dispatcher } from "undici";
import type { Generation } from "../generation.ts";
import type { EndpointState } from "../upstream/health/state.ts";
import type { EndpointPools } from "../upstream/pool/index.ts";
import type { Outcome, Upstream } from "../upstream/upstream.ts";
import { errorBody, fromUpstreamError, HttpError } from "./errors.ts";
import { resolveRequestClient } from "./forwarded.ts";
import { scanRequestHead, withoutHopByHop } from "./headers.ts";
import { routingHost } from "./host.ts";
import {
  isPromiseLike,
  type Phases,
  type Reply,
  type ResponseHeaders,
  runRequestHooks,
  type Verdict,
} from "./phases.ts";
import type { DownstreamResponse, RequestContext } from "./request-context.ts";

/** How a request that needs a raw tunnel instead of a pool (CONNECT, WebSocket) is carried out. */
export type TunnelDispatch = (engine: ProxyEngine, ctx: RequestContext) => void;

const kContext = Symbol("weir.requestContext");
interface TaggedResponse extends DownstreamResponse {
  [kContext]: RequestContext;
}

/** Per-request state the engine keeps beside the context (not part of the filters' interface). */
interface EngineState {
  engine: ProxyEngine;
  attempt: Attempt | undefined;
  /** Length of `upstreamHeaders` before the upstreamRequest phase, to undo it for a retry. */
  baseHeaders: number;
  attempts: number;
  tunnel: TunnelDispatch | undefined;
  /** The failure a retry was for: answered if no endpoint is left to retry on. */
  lastError: HttpError | undefined;
  /** A tunnel's endpoint, counted in flight until the request finishes. */
  tunnelHealth: EndpointState | undefined;
  /** The body given to the pool (the client's stream, or the gate in front of it); a retry reuses it. */
  body: Readable | null;
}
const kState = Symbol("weir.engineState");
type Stateful = RequestContext & { [kState]: EngineState };

export interface EngineOptions {
  /** Called when a request finished and was logged (connection bookkeeping, graceful drain). */
  onFinished(ctx: RequestContext): void;
  /** Whether the service is draining: responses then close their HTTP/1 connections. */
  draining(): boolean;
}

export class ProxyEngine {
  readonly gen: Generation;
  readonly listener: string;
  readonly phases: Phases;
  readonly pools: EndpointPools;
  readonly #opts: EngineOptions;
  readonly #errors;

  constructor(gen: Generation, listener: string, phases: Phases, pools: EndpointPools, opts: EngineOptions) {
    this.gen = gen;
    this.listener = listener;
    this.phases = phases;
    this.pools = pools;
    this.#opts = opts;
    this.#errors = gen.metrics.httpErrors;
  }

  /** True while the service drains: HTTP/1 responses then say "Connection: close". */
  get draining(): boolean {
    return this.#opts.draining();
  }

  /** Serves one request. `tunnel` is set for CONNECT and WebSocket upgrades. Never throws. */
  serve(ctx: RequestContext, tunnel?: TunnelDispatch): void {
    const state: EngineState = {
      engine: this,
      attempt: undefined,
      baseHeaders: 0,
      attempts: 0,
      tunnel,
      lastError: undefined,
      tunnelHealth: undefined,
      body: null,
    };
    (ctx as Stateful)[kState] = state;
    ctx.conn.inflight++;
    if (!ctx.isH2) ctx.conn.current = ctx;
    const res = ctx.res as TaggedResponse;
    res[kContext] = ctx;
    res.once("close", onResponseClose);
    if (this.#opts.draining() && !ctx.isH2) (res as { shouldKeepAlive?: boolean }).shouldKeepAlive = false;

    const bad = scanRequestHead(ctx);
    resolveRequestClient(ctx);
    if (bad !== undefined) {
      this.fail(ctx, bad);
      return;
    }
    if (ctx.path.charCodeAt(0) !== 0x2f && ctx.method !== "CONNECT" && ctx.path !== "*") {
      const err = absoluteFormToOrigin(ctx);
      if (err !== undefined) {
        this.fail(ctx, err);
        return;
      }
    }
    // RFC 9113 §3.1 deprecates the h2c upgrade: serve such a request as HTTP/1.1. A WebSocket upgrade
    // comes with `tunnel`; any other protocol would escape the proxy's policy, so it is refused.
    if (ctx.upgrade !== undefined && tunnel === undefined && !isH2cUpgrade(ctx.upgrade)) {
      this.fail(ctx, new HttpError("UPGRADE_NOT_SUPPORTED"));
      return;
    }
    const hooks = this.phases.requestArrival;
    if (hooks === undefined) {
      this.afterArrival(ctx, undefined);
      return;
    }
    this.continueWith(ctx, runRequestHooks(hooks, ctx), this.afterArrival);
  }

  /** Runs `next` now for a synchronous verdict, or when a promised one settles. */
  private continueWith(
    ctx: RequestContext,
    verdict: Verdict | PromiseLike<Verdict>,
    next: (ctx: RequestContext, verdict: Verdict) => void,
  ): void {
    if (!isPromiseLike(verdict)) {
      next.call(this, ctx, verdict);
      return;
    }
    verdict.then(
      (v) => {
        if (!ctx.finished) next.call(this, ctx, v);
      },
      (err: unknown) => this.fail(ctx, new HttpError("INTERNAL", err)),
    );
  }

  private afterArrival(ctx: RequestContext, verdict: Verdict): void {
    if (verdict !== undefined) {
      this.reply(ctx, verdict);
      return;
    }
    const route = ctx.route;
    if (route === undefined) {
      this.fail(ctx, new HttpError(ctx.method === "CONNECT" ? "CONNECT_NOT_ALLOWED" : "NO_ROUTE"));
      return;
    }
    const state = (ctx as Stateful)[kState];
    if (
      ctx.upgrade !== undefined &&
      state.tunnel !== undefined &&
      !route.websocket &&
      ctx.method !== "CONNECT"
    ) {
      this.fail(ctx, new HttpError("UPGRADE_NOT_ALLOWED"));
      return;
    }
    if (route.reply !== undefined && ctx.method !== "CONNECT") {
      this.reply(ctx, route.reply);
      return;
    }
    if (route.maxBodySize > 0 && ctx.contentLength > route.maxBodySize) {
      this.fail(ctx, new HttpError("BODY_TOO_LARGE"));
      return;
    }
    state.baseHeaders = ctx.upstreamHeaders.length;
    this.selectPeer(ctx);
  }

  private selectPeer(ctx: RequestContext): void {
    const hooks = this.phases.peerSelection;
    if (hooks === undefined) {
      this.afterPeer(ctx, undefined);
      return;
    }
    this.continueWith(ctx, runRequestHooks(hooks, ctx), this.afterPeer);
  }

  private afterPeer(ctx: RequestContext, verdict: Verdict): void {
    if (verdict !== undefined) {
      this.reply(ctx, verdict);
      return;
    }
    if (ctx.endpoint === undefined) {
      // A retry that found no endpoint left answers with the failure it was retrying.
      this.fail(ctx, (ctx as Stateful)[kState].lastError ?? new HttpError("NO_ENDPOINT"));
      return;
    }
    const hooks = this.phases.upstreamRequest;
    if (hooks === undefined) {
      this.afterUpstreamRequest(ctx, undefined);
      return;
    }
    this.continueWith(ctx, runRequestHooks(hooks, ctx), this.afterUpstreamRequest);
  }

  private afterUpstreamRequest(ctx: RequestContext, verdict: Verdict): void {
    if (verdict !== undefined) {
      this.reply(ctx, verdict);
      return;
    }
    const state = (ctx as Stateful)[kState];
    state.attempts++;
    if (state.attempts === 1) ctx.upstream?.countRequest();
    if (state.tunnel !== undefined) {
      if (ctx.upstream !== undefined && ctx.endpoint !== undefined && state.tunnelHealth === undefined)
        state.tunnelHealth = ctx.upstream.begin(ctx.endpoint);
      state.tunnel(this, ctx);
      return;
    }
    if (ctx.expectContinue) {
      // RFC 9110 §10.1.1: the request may proceed, so ask the client for its body now.
      ctx.expectContinue = false;
      ctx.res.writeContinue();
    }
    const upstream = ctx.upstream;
    const endpoint = ctx.endpoint;
    if (upstream === undefined || endpoint === undefined) {
      this.fail(ctx, new HttpError("NO_ENDPOINT"));
      return;
    }
    const attempt = new Attempt(this, ctx);
    attempt.upstream = upstream;
    attempt.health = upstream.begin(endpoint);
    state.attempt = attempt;
    const hasBody = ctx.chunked || ctx.contentLength > 0;
    let body = state.body;
    if (hasBody && body === null) {
      const route = ctx.route;
      body = state.body =
        this.phases.requestBody !== undefined || (route !== undefined && route.maxBodySize > 0 && ctx.chunked)
          ? ctx.body.pipe(new RequestBodyGate(this.phases, ctx, route?.maxBodySize ?? 0))
          : ctx.body;
    }
    this.pools
      .get(upstream, endpoint, ctx.conn.ctx)
      .dispatch({ path: ctx.path, method: ctx.method, headers: ctx.upstreamHeaders, body }, attempt);
  }

  /** An attempt failed. Retry on another endpoint if nothing reached the upstream, else answer. */
  upstreamFailed(ctx: RequestContext, attempt: Attempt, cause: unknown): void {
    const state = (ctx as Stateful)[kState];
    if (state.attempt !== attempt || ctx.finished) return;
    state.attempt = undefined;
    const err = fromUpstreamError(cause);
    if (err.source === "upstream") this.countUpstreamError(ctx, err);
    const upstream = ctx.upstream;
    if (
      upstream !== undefined &&
      ctx.endpoint !== undefined &&
      !ctx.res.headersSent &&
      !attempt.responded &&
      // A body the pool may have begun to send cannot be sent again. A pool starts a request on a
      // connection (onRequestStart) before it reads a byte of its body: without that, as after a
      // refused connect, the body is untouched and goes to the next endpoint whole.
      (!(ctx.chunked || ctx.contentLength > 0) || attempt.controller === undefined) &&
      state.attempts <= upstream.config.retries &&
      mayRetry(ctx, upstream, err) &&
      upstream.allowRetry()
    ) {
      state.lastError = err;
      ctx.tried ??= new Set();
      ctx.tried.add(ctx.endpoint);
      ctx.endpoint = undefined;
      ctx.upstreamHeaders.length = state.baseHeaders;
      this.selectPeer(ctx);
      return;
    }
    this.fail(ctx, err);
  }

  private countUpstreamError(ctx: RequestContext, err: HttpError): void {
    if (ctx.upstream !== undefined && (err.code === "CONNECT_FAILED" || err.code === "CONNECT_TIMEOUT")) {
      this.gen.metrics.upstreamConnectFailures.labels(ctx.upstream.name, err.code).inc();
    }
    this.gen.log.warn(
      {
        listener: this.listener,
        upstream: ctx.upstream?.name,
        endpoint: ctx.endpoint?.key,
        code: err.code,
        cause: (err.cause as Error | undefined)?.message,
      },
      "upstream request failed",
    );
  }

  /** Answers with `err.status` (or what an error hook says), or cuts the response if it had begun. */
  fail(ctx: RequestContext, err: HttpError): void {
    ctx.error ??= err;
    this.#errors.labels(this.listener, err.code).inc();
    if (ctx.finished) return;
    const state = (ctx as Stateful)[kState];
    const attempt = state.attempt;
    if (attempt !== undefined) {
      state.attempt = undefined;
      attempt.abort(err);
    }
    if (ctx.res.headersSent) {
      abortResponse(ctx);
      return;
    }
    let reply: Reply | undefined;
    const hooks = this.phases.error;
    if (hooks !== undefined) {
      for (let i = 0; i < hooks.length && reply === undefined; i++) reply = hooks[i]!(ctx, err);
    }
    if (reply === undefined) {
      const body = errorBody(err);
      const headers: Record<string, string> = {
        "content-type": "text/plain; charset=utf-8",
        "content-length": String(Buffer.byteLength(body)),
      };
      if (err.code === "CONNECT_NOT_ALLOWED") headers.allow = "GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH";
      reply = { status: err.status, headers, body };
    }
    // A refused head may leave an unread body or a confused client behind: close HTTP/1 connections.
    if (err.source === "downstream" && !ctx.isH2) {
      (ctx.res as { shouldKeepAlive?: boolean }).shouldKeepAlive = false;
    }
    this.reply(ctx, reply);
  }

  reply(ctx: RequestContext, reply: Reply): void {
    if (ctx.finished || ctx.res.headersSent) return;
    ctx.status = reply.status;
    try {
      ctx.res.writeHead(reply.status, reply.headers);
      if (reply.body !== undefined) ctx.bytesSent += reply.body.length;
      ctx.res.end(reply.body);
    } catch (err) {
      ctx.error ??= new HttpError("INTERNAL", err);
      abortResponse(ctx);
    }
  }

  /** The response is over (sent, failed or the client left): abort what runs upstream, then log. */
  finish(ctx: RequestContext): void {
    if (ctx.finished) return;
    ctx.finished = true;
    const state = (ctx as Stateful)[kState];
    const attempt = state.attempt;
    if (attempt !== undefined && !attempt.done) {
      ctx.error ??= new HttpError("CLIENT_ABORTED");
      state.attempt = undefined;
      attempt.abort(ctx.error);
    }
    const tunnelHealth = state.tunnelHealth;
    if (tunnelHealth !== undefined && ctx.upstream !== undefined) {
      state.tunnelHealth = undefined;
      const code = ctx.error?.code;
      ctx.upstream.end(
        tunnelHealth,
        code === "CONNECT_FAILED" || code === "CONNECT_TIMEOUT" ? "failed" : "ok",
      );
    }
    ctx.conn.inflight--;
    if (ctx.conn.current === ctx) ctx.conn.current = undefined;
    const hooks = this.phases.logging;
    if (hooks !== undefined) {
      for (let i = 0; i < hooks.length; i++) {
        try {
          hooks[i]!(ctx);
        } catch (err) {
          this.gen.log.error({ err }, "logging hook failed");
        }
      }
    }
    this.#opts.onFinished(ctx);
  }
}

/**
 * Whether a failed try may go to another endpoint: a connect that failed (nothing was sent), or a
 * request that is safe to repeat (RFC 9110 §9.2.2: an idempotent method, or one that carries an
 * Idempotency-Key) whose connection broke before any response byte.
 */
function mayRetry(ctx: RequestContext, upstream: Upstream, err: HttpError): boolean {
  if (err.retryable) return true;
  if (err.code !== "UPSTREAM_RESET") return false;
  if (upstream.retriesMethod(ctx.method)) return true;
  const h = ctx.upstreamHeaders;
  for (let i = 0; i < h.length; i += 2) if (h[i]!.toLowerCase() === "idempotency-key") return true;
  return false;
}

/** What a failed try says about its endpoint, for passive health checks. */
function outcomeOf(err: unknown): Outcome {
  const code = fromUpstreamError(err).code;
  return code === "CONNECT_FAILED" || code === "CONNECT_TIMEOUT" || code === "UPSTREAM_RESET"
    ? "failed"
    : "aborted";
}

function onResponseClose(this: TaggedResponse): void {
  const ctx = this[kContext] as Stateful;
  ctx[kState].engine.finish(ctx);
}

function onResponseDrain(this: TaggedResponse): void {
  (this[kContext] as Stateful)[kState].attempt?.resume();
}

/** Cuts a response that has begun: HTTP/1 loses its connection, HTTP/2 its stream (RST_STREAM). */
export function abortResponse(ctx: RequestContext): void {
  const res = ctx.res as DownstreamResponse & {
    destroy?: (err?: Error) => void;
    stream?: { close(code?: number): void };
  };
  if (ctx.isH2) res.stream?.close(2 /* INTERNAL_ERROR */);
  else res.destroy?.();
}

/** One try of a request against one endpoint: the pool's handler for it (undici's handler interface). */
export class Attempt implements Dispatcher.DispatchHandler {
  readonly engine: ProxyEngine;
  readonly ctx: RequestContext;
  controller: Dispatcher.DispatchController | undefined = undefined;
  done = false;
  /** A response head arrived: the request may have had effects, so it is never retried. */
  responded = false;
  upstream: Upstream | undefined = undefined;
  /** The endpoint's state while this try counts as in flight on it. */
  health: EndpointState | undefined = undefined;
  #status = 0;
  #abortReason: Error | undefined;
  /** performance.now() when the attempt was dispatched: the origin of the upstream timings. */
  readonly #dispatchedAt: number;

  constructor(engine: ProxyEngine, ctx: RequestContext) {
    this.engine = engine;
    this.ctx = ctx;
    this.#dispatchedAt = performance.now();
  }

  /** Once per try: the endpoint is no longer busy with it; passive checks learn how it went. */
  settle(outcome: Outcome): void {
    const health = this.health;
    if (health === undefined) return;
    this.health = undefined;
    this.upstream?.end(health, outcome);
  }

  abort(reason: Error): void {
    if (this.done) return;
    this.done = true;
    this.settle(this.#status >= 500 ? "status_5xx" : "aborted");
    if (this.controller !== undefined) this.controller.abort(reason);
    else this.#abortReason = reason;
  }

  resume(): void {
    this.controller?.resume();
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // Called once a connection carries the request: connecting (or queueing) is over.
    this.ctx.upstreamConnectMs = performance.now() - this.#dispatchedAt;
    if (this.#abortReason !== undefined) controller.abort(this.#abortReason);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    status: number,
    headers: ResponseHeaders,
    statusMessage?: string,
  ): void {
    if (this.done) return;
    this.ctx.upstreamHeaderMs = performance.now() - this.#dispatchedAt;
    this.responded = true;
    this.#status = status;
    const ctx = this.ctx;
    const phases = this.engine.phases;
    headers = withoutHopByHop(headers);
    const up = phases.upstreamResponse;
    if (up !== undefined) for (let i = 0; i < up.length; i++) up[i]!(ctx, status, headers);
    const down = phases.downstreamResponse;
    if (down !== undefined) for (let i = 0; i < down.length; i++) down[i]!(ctx, status, headers);
    ctx.status = status;
    if (!ctx.isH2 && this.engine.draining) (ctx.res as { shouldKeepAlive?: boolean }).shouldKeepAlive = false;
    try {
      if (ctx.isH2 || statusMessage === undefined || statusMessage === "") ctx.res.writeHead(status, headers);
      else (ctx.res as unknown as NodeWriteHead).writeHead(status, statusMessage, headers);
    } catch (err) {
      // Node refused the head (an invalid field value, say): nothing was sent, answer 502 instead.
      ctx.status = 0;
      this.done = true;
      this.settle("aborted");
      controller.abort(err as Error);
      this.engine.upstreamFailed(ctx, this, new HttpError("BAD_RESPONSE", err));
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.done) return;
    const ctx = this.ctx;
    const hooks = this.engine.phases.responseBody;
    if (hooks !== undefined) for (let i = 0; i < hooks.length; i++) chunk = hooks[i]!(ctx, chunk);
    ctx.bytesSent += chunk.length;
    if (!ctx.res.write(chunk)) {
      controller.pause();
      ctx.res.once("drain", onResponseDrain);
    }
  }

  onResponseEnd(_controller: Dispatcher.DispatchController, trailers: ResponseHeaders): void {
    if (this.done) return;
    this.done = true;
    this.settle(this.#status >= 500 ? "status_5xx" : "ok");
    const res = this.ctx.res;
    for (const _ in trailers) {
      res.addTrailers(trailers);
      break;
    }
    res.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    // After our own abort (client gone, another failure answered) there is nothing left to do.
    if (this.done) return;
    this.done = true;
    this.settle(this.responded ? (this.#status >= 500 ? "status_5xx" : "aborted") : outcomeOf(err));
    this.engine.upstreamFailed(this.ctx, this, err);
  }
}

type NodeWriteHead = { writeHead(status: number, message: string, headers: ResponseHeaders): unknown };

/**
 * Sits between the client's body and the pool when a limit or a requestBody hook needs to see each chunk.
 * Counting bytes against `max` catches chunked bodies whose size is unknown up front (413).
 */
class RequestBodyGate extends Transform {
  readonly #phases: Phases;
  readonly #ctx: RequestContext;
  readonly #max: number;
  #seen = 0;

  constructor(phases: Phases, ctx: RequestContext, max: number) {
    super();
    this.#phases = phases;
    this.#ctx = ctx;
    this.#max = max;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.#seen += chunk.length;
    if (this.#max > 0 && this.#seen > this.#max) {
      done(new HttpError("BODY_TOO_LARGE"));
      return;
    }
    const hooks = this.#phases.requestBody;
    if (hooks !== undefined) for (let i = 0; i < hooks.length; i++) chunk = hooks[i]!(this.#ctx, chunk);
    done(null, chunk);
  }
}

/** RFC 9112 §3.2.2: "http://a.test/x" → path "/x", and the target's authority replaces Host. */
function absoluteFormToOrigin(ctx: RequestContext): HttpError | undefined {
  const target = ctx.path;
  const scheme = target.startsWith("http://") ? 7 : target.startsWith("https://") ? 8 : -1;
  if (scheme < 0) return new HttpError("BAD_REQUEST");
  let slash = target.indexOf("/", scheme);
  const query = target.indexOf("?", scheme);
  if (slash < 0 || (query >= 0 && query < slash)) slash = query;
  const authority = slash < 0 ? target.slice(scheme) : target.slice(scheme, slash);
  const host = routingHost(authority);
  if (host === undefined || host === "") return new HttpError("BAD_HOST");
  ctx.host = host;
  ctx.authority = authority;
  ctx.path = slash < 0 ? "/" : target[slash] === "?" ? `/${target.slice(slash)}` : target.slice(slash);
  const out = ctx.upstreamHeaders;
  for (let i = 0; i < out.length; i += 2) {
    if (out[i]!.toLowerCase() === "host") out[i + 1] = authority;
  }
  return undefined;
}

function isH2cUpgrade(value: string): boolean {
  return value.trim().toLowerCase() === "h2c";
}
