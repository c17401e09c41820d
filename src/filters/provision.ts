// Route filters for one generation: provisioned once (shared by every listener the routes serve, so a
// rate limit is one limit per weir process, not per listener), referenced by the HTTP services that use
// them, closed when the last one lets go. `routeFiltersHook` is the single built-in filter through
// which the engine reaches them: it runs the matched route's own phases, so a route without filters
// costs one array lookup per phase, and phases no route uses cost nothing.
//
// Every request that reaches a route with filters runs them, so the runners are compiled per route and
// phase when the generation is provisioned: a request-side phase is one function that calls the hooks
// in order and counts the one that answers (weir_filter_rejections_total), with no wrapper per filter.
import type { Counter } from "prom-client";
import type { HttpError } from "../http/errors.ts";
import {
  compilePhases,
  type HttpFilter,
  isPromiseLike,
  type MaybePromise,
  type Phases,
  type Reply,
  type Verdict,
} from "../http/phases.ts";
import type { RequestContext } from "../http/request-context.ts";
import { closeFilters, provisionRouteFilters } from "./registry.ts";
import type { FilterEnv, FilterGeneration, ProvisionedFilter } from "./types.ts";

interface FailTarget {
  fail(ctx: RequestContext, err: HttpError): void;
}

type RequestPhase = "requestArrival" | "peerSelection" | "upstreamRequest";
const REQUEST_PHASES = ["requestArrival", "peerSelection", "upstreamRequest"] as const;

/** A route's request-side hooks of one phase, run in order until one answers. */
type RequestRunner = (ctx: RequestContext) => MaybePromise<Verdict>;

/** One route's filters, compiled. */
export interface RouteFilters {
  /** Every phase's hooks, bound to their filters. */
  readonly phases: Phases;
  /** The request-side phases as counting runners; undefined where no filter of the route has the hook. */
  readonly run: { readonly [P in RequestPhase]: RequestRunner | undefined };
}

export interface RouteFilterSet {
  /** Each route's compiled filters by route index; undefined for routes without filters. */
  readonly byRoute: readonly (RouteFilters | undefined)[];
  /** The HTTP engine of each listener, so that `env.fail` reaches the request's own engine. */
  readonly engines: Map<string, FailTarget>;
  readonly filters: readonly ProvisionedFilter[];
  users: number;
}

const sets = new WeakMap<FilterGeneration, RouteFilterSet>();

/** The generation's route filters, provisioned on first use. Throws when one cannot be provisioned. */
export function acquireRouteFilters(gen: FilterGeneration): RouteFilterSet {
  let set = sets.get(gen);
  if (set === undefined) {
    const engines = new Map<string, FailTarget>();
    const env: FilterEnv = {
      log: gen.log,
      fail: (ctx, err) => engines.get(ctx.conn.ctx.listener)?.fail(ctx, err),
    };
    const all: ProvisionedFilter[] = [];
    const byRoute: (RouteFilters | undefined)[] = [];
    try {
      gen.config.routes.forEach((route, index) => {
        const configs = route.filters;
        if (configs.length === 0) return;
        const filters = provisionRouteFilters(configs, route.name ?? `#${index}`, env);
        all.push(...filters);
        byRoute[index] = compileRouteFilters(filters, gen.metrics.filterRejections);
      });
    } catch (err) {
      void closeFilters(all);
      throw err;
    }
    set = { byRoute, engines, filters: all, users: 0 };
    sets.set(gen, set);
  }
  set.users++;
  return set;
}

export async function releaseRouteFilters(gen: FilterGeneration): Promise<void> {
  const set = sets.get(gen);
  if (set === undefined || --set.users > 0) return;
  sets.delete(gen);
  await closeFilters(set.filters);
}

type Rejections = Counter<"listener" | "filter" | "status">;

function compileRouteFilters(filters: readonly ProvisionedFilter[], rejections: Rejections): RouteFilters {
  const phases = compilePhases(filters);
  const runner = (phase: RequestPhase): RequestRunner | undefined => {
    const hooks = phases[phase];
    if (hooks === undefined) return undefined;
    const names = filters.filter((f) => f[phase] !== undefined).map((f) => f.name);
    return countingRunner(hooks, names, rejections);
  };
  return {
    phases,
    run: {
      requestArrival: runner("requestArrival"),
      peerSelection: runner("peerSelection"),
      upstreamRequest: runner("upstreamRequest"),
    },
  };
}

/**
 * Runs `hooks` in order until one returns a Reply, which is counted under its filter's name
 * (`names[i]`). Stays synchronous while the hooks do; only a hook that returned a promise is awaited
 * (and the rest then run after it), as phases.ts's runRequestHooks does.
 */
function countingRunner(
  hooks: readonly ((ctx: RequestContext) => MaybePromise<Verdict>)[],
  names: readonly string[],
  rejections: Rejections,
): RequestRunner {
  const answered = (ctx: RequestContext, i: number, reply: Reply): Reply => {
    rejections.labels(ctx.conn.ctx.listener, names[i]!, String(reply.status)).inc();
    return reply;
  };
  const run = (ctx: RequestContext, from: number): MaybePromise<Verdict> => {
    for (let i = from; i < hooks.length; i++) {
      const verdict = hooks[i]!(ctx);
      if (verdict === undefined) continue;
      if (isPromiseLike(verdict))
        return verdict.then((v) => (v === undefined ? run(ctx, i + 1) : answered(ctx, i, v)));
      return answered(ctx, i, verdict);
    }
    return undefined;
  };
  return (ctx) => run(ctx, 0);
}

/** The built-in filter that runs the matched route's filters at each phase; undefined if none has any. */
export function routeFiltersHook(set: RouteFilterSet): HttpFilter | undefined {
  const byRoute = set.byRoute;
  if (!byRoute.some((r) => r !== undefined)) return undefined;
  // Per phase, each route's hooks by route index: a request finds its own with one array lookup.
  const ofPhase = <P extends keyof Phases>(phase: P) => byRoute.map((r) => r?.phases[phase]);
  const used = (list: readonly unknown[]) => list.some((x) => x !== undefined);
  const hook: HttpFilter = { name: "route-filters" };
  for (const phase of REQUEST_PHASES) {
    const runners = byRoute.map((r) => r?.run[phase]);
    if (!used(runners)) continue;
    hook[phase] = (ctx: RequestContext): MaybePromise<Verdict> => {
      const route = ctx.route;
      const run = route === undefined ? undefined : runners[route.index];
      return run === undefined ? undefined : run(ctx);
    };
  }
  for (const phase of ["requestBody", "responseBody"] as const) {
    const lists = ofPhase(phase);
    if (!used(lists)) continue;
    hook[phase] = (ctx, chunk) => {
      const route = ctx.route;
      const hooks = route === undefined ? undefined : lists[route.index];
      if (hooks !== undefined) for (let i = 0; i < hooks.length; i++) chunk = hooks[i]!(ctx, chunk);
      return chunk;
    };
  }
  for (const phase of ["upstreamResponse", "downstreamResponse"] as const) {
    const lists = ofPhase(phase);
    if (!used(lists)) continue;
    hook[phase] = (ctx, status, headers) => {
      const route = ctx.route;
      const hooks = route === undefined ? undefined : lists[route.index];
      if (hooks !== undefined) for (let i = 0; i < hooks.length; i++) hooks[i]!(ctx, status, headers);
    };
  }
  const logging = ofPhase("logging");
  if (used(logging)) {
    hook.logging = (ctx) => {
      const route = ctx.route;
      const hooks = route === undefined ? undefined : logging[route.index];
      if (hooks !== undefined) for (let i = 0; i < hooks.length; i++) hooks[i]!(ctx);
    };
  }
  const error = ofPhase("error");
  if (used(error)) {
    hook.error = (ctx, err: HttpError) => {
      const route = ctx.route;
      const hooks = route === undefined ? undefined : error[route.index];
      if (hooks === undefined) return undefined;
      for (let i = 0; i < hooks.length; i++) {
        const reply = hooks[i]!(ctx, err);
        if (reply !== undefined) return reply;
      }
      return undefined;
    };
  }
  return hook;
}
