// weir_filter_rejections_total{listener,filter,status}: a filter's request-side hook answered the request
// itself (a rate limit's 429, a cidr rule's 403, auth_request's 401). Wraps a provisioned filter once per
// generation; a hook that lets the request through costs one `undefined` check more.
import type { Counter } from "prom-client";
import { type HttpFilter, type MaybePromise, PHASE_NAMES, type Verdict } from "../http/phases.ts";
import type { RequestContext } from "../http/request-context.ts";

const REQUEST_HOOKS = ["requestArrival", "peerSelection", "upstreamRequest"] as const;

/** A filter with the same hooks, all bound to `filter` itself, its request-side ones counting replies. */
export function countRejections(
  filter: HttpFilter,
  rejections: Counter<"listener" | "filter" | "status">,
): HttpFilter {
  if (!REQUEST_HOOKS.some((h) => filter[h] !== undefined)) return filter;
  const counted: Record<string, unknown> = { name: filter.name };
  for (const phase of PHASE_NAMES) {
    const hook = filter[phase] as ((...args: never[]) => unknown) | undefined;
    if (hook !== undefined) counted[phase] = hook.bind(filter);
  }
  for (const phase of REQUEST_HOOKS) {
    const hook = filter[phase];
    if (hook === undefined) continue;
    const count = (ctx: RequestContext, v: Verdict): Verdict => {
      if (v !== undefined) rejections.labels(ctx.conn.ctx.listener, filter.name, String(v.status)).inc();
      return v;
    };
    counted[phase] = (ctx: RequestContext): MaybePromise<Verdict> => {
      const verdict = hook.call(filter, ctx);
      if (verdict === undefined) return undefined;
      if (typeof (verdict as PromiseLike<Verdict>).then === "function")
        return (verdict as PromiseLike<Verdict>).then((v) => count(ctx, v));
      return count(ctx, verdict as Verdict);
    };
  }
  return counted as unknown as HttpFilter;
}
