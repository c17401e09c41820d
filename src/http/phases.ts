// The request phases (DESIGN.md "Request phases", after Pingora's ProxyHttp): the one interface that
// routing, forwarding headers, access logging and, later, built-in and user filters plug into. A filter
// implements only the hooks it needs. `compilePhases` turns a list of filters into one array per phase,
// or undefined when no filter has that hook, so an absent hook costs the engine one `!== undefined` check.
//
// Order for a proxied request (the engine in proxy.ts calls them by these names):
//   requestArrival → peerSelection → upstreamRequest → [requestBody per chunk]
//   → upstreamResponse → downstreamResponse → [responseBody per chunk] → logging
// A failure anywhere goes to `error`, then `logging`. A retry after a connect failure runs
// peerSelection and upstreamRequest again.
import type { IncomingHttpHeaders } from "node:http";
import type { HttpError } from "./errors.ts";
import type { RequestContext } from "./request-context.ts";

/** A response weir writes itself: a route's `respond`, a filter's rejection, an error. */
export interface Reply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
}

/** What a request-side hook decides: undefined to continue, a Reply to answer now and skip the upstream. */
export type Verdict = Reply | undefined;

export type MaybePromise<T> = T | PromiseLike<T>;

/** Response headers as undici parsed them: lower-case names, repeated fields as arrays. Mutable. */
export type ResponseHeaders = IncomingHttpHeaders;

export interface HttpFilter {
  readonly name: string;
  /** The request head arrived. May answer (Reply), rewrite the context (path, headers) or pick `route`. */
  requestArrival?(ctx: RequestContext): MaybePromise<Verdict>;
  /** Choose `ctx.endpoint` (and `ctx.upstream`); a Reply answers instead. Runs again on a retry. */
  peerSelection?(ctx: RequestContext): MaybePromise<Verdict>;
  /** Edit `ctx.upstreamHeaders` (flat [name, value, ...]) before they are sent; runs again on a retry. */
  upstreamRequest?(ctx: RequestContext): MaybePromise<Verdict>;
  /** Each request body chunk on its way up; returns the chunk to send. Synchronous. */
  requestBody?(ctx: RequestContext, chunk: Buffer): Buffer;
  /** The upstream's response head; may edit `headers` in place. Synchronous. */
  upstreamResponse?(ctx: RequestContext, status: number, headers: ResponseHeaders): void;
  /** The head the client is about to get; may edit `headers` in place. Synchronous. */
  downstreamResponse?(ctx: RequestContext, status: number, headers: ResponseHeaders): void;
  /** Each response body chunk on its way down; returns the chunk to send. Synchronous. */
  responseBody?(ctx: RequestContext, chunk: Buffer): Buffer;
  /** Once per request, after its end, whatever happened (`ctx.error` says what went wrong). */
  logging?(ctx: RequestContext): void;
  /** A failure is about to be answered with `err.status`; may return another Reply. */
  error?(ctx: RequestContext, err: HttpError): Verdict;
}

type RequestHook = (ctx: RequestContext) => MaybePromise<Verdict>;
type ChunkHook = (ctx: RequestContext, chunk: Buffer) => Buffer;
type HeadHook = (ctx: RequestContext, status: number, headers: ResponseHeaders) => void;

/** The filters' hooks per phase, in filter order; undefined where no filter has the hook. */
export interface Phases {
  readonly requestArrival: readonly RequestHook[] | undefined;
  readonly peerSelection: readonly RequestHook[] | undefined;
  readonly upstreamRequest: readonly RequestHook[] | undefined;
  readonly requestBody: readonly ChunkHook[] | undefined;
  readonly upstreamResponse: readonly HeadHook[] | undefined;
  readonly downstreamResponse: readonly HeadHook[] | undefined;
  readonly responseBody: readonly ChunkHook[] | undefined;
  readonly logging: readonly ((ctx: RequestContext) => void)[] | undefined;
  readonly error: readonly ((ctx: RequestContext, err: HttpError) => Verdict)[] | undefined;
}

export const PHASE_NAMES = [
  "requestArrival",
  "peerSelection",
  "upstreamRequest",
  "requestBody",
  "upstreamResponse",
  "downstreamResponse",
  "responseBody",
  "logging",
  "error",
] as const satisfies readonly (keyof Phases)[];

/** Collects each phase's hooks (bound to their filter) once, when a generation is provisioned. */
export function compilePhases(filters: readonly HttpFilter[]): Phases {
  const out: Record<string, readonly unknown[] | undefined> = {};
  for (const phase of PHASE_NAMES) {
    const hooks: unknown[] = [];
    for (const f of filters) {
      const hook = f[phase] as ((...args: never[]) => unknown) | undefined;
      if (hook !== undefined) hooks.push(hook.bind(f));
    }
    out[phase] = hooks.length > 0 ? Object.freeze(hooks) : undefined;
  }
  return Object.freeze(out) as unknown as Phases;
}

/**
 * Runs request-side hooks in order until one returns a Reply. Stays synchronous while the hooks do;
 * only a hook that returned a promise is awaited (and the rest then run after it).
 */
export function runRequestHooks(
  hooks: readonly RequestHook[],
  ctx: RequestContext,
  from = 0,
): MaybePromise<Verdict> {
  for (let i = from; i < hooks.length; i++) {
    const verdict = hooks[i]!(ctx);
    if (verdict === undefined) continue;
    if (typeof (verdict as PromiseLike<Verdict>).then === "function") {
      return (verdict as PromiseLike<Verdict>).then((v) =>
        v === undefined ? runRequestHooks(hooks, ctx, i + 1) : v,
      );
    }
    return verdict as Reply;
  }
  return undefined;
}

export function isPromiseLike<T>(value: MaybePromise<T>): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | undefined)?.then === "function";
}
