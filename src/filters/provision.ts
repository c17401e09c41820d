// Route filters for one generation: provisioned once (shared by every listener the routes serve, so a
// rate limit is one limit per weir process, not per listener), referenced by the HTTP services that use
// them, closed when the last one lets go. `routeFiltersHook` is the single built-in filter through
// which the engine reaches them: it runs the matched route's own phases, so a route without filters
// costs one array lookup per phase, and phases no route uses cost nothing.
import type { HttpError } from "../http/errors.ts";
import {
  compilePhases,
  type HttpFilter,
  type Phases,
  runRequestHooks,
  type Verdict,
} from "../http/phases.ts";
import type { RequestContext } from "../http/request-context.ts";
import { countRejections } from "../observe/filter-rejections.ts";
import { closeFilters, provisionRouteFilters } from "./registry.ts";
import type { FilterEnv, FilterGeneration, ProvisionedFilter } from "./types.ts";

interface FailTarget {
  fail(ctx: RequestContext, err: HttpError): void;
}

export interface RouteFilterSet {
  /** Each route's compiled phases by route index; undefined for routes without filters. */
  readonly byRoute: readonly (Phases | undefined)[];
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
    const byRoute: (Phases | undefined)[] = [];
    try {
      gen.config.routes.forEach((route, index) => {
        const configs = route.filters;
        if (configs.length === 0) return;
        const filters = provisionRouteFilters(configs, route.name ?? `#${index}`, env);
        all.push(...filters);
        byRoute[index] = compilePhases(filters.map((f) => countRejections(f, gen.metrics.filterRejections)));
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

type PhaseName = keyof Phases;

/** The built-in filter that runs the matched route's filters at each phase; undefined if none has any. */
export function routeFiltersHook(set: RouteFilterSet): HttpFilter | undefined {
  const byRoute = set.byRoute;
  const used = (phase: PhaseName) => byRoute.some((p) => p?.[phase] !== undefined);
  const of = <P extends PhaseName>(ctx: RequestContext, phase: P): Phases[P] | undefined => {
    const route = ctx.route;
    return route === undefined ? undefined : byRoute[route.index]?.[phase];
  };
  if (!byRoute.some((p) => p !== undefined)) return undefined;
  const hook: HttpFilter = { name: "route-filters" };
  const request = (phase: "requestArrival" | "peerSelection" | "upstreamRequest") => {
    if (!used(phase)) return;
    hook[phase] = (ctx: RequestContext): Verdict | PromiseLike<Verdict> => {
      const hooks = of(ctx, phase);
      return hooks === undefined ? undefined : runRequestHooks(hooks, ctx);
    };
  };
  request("requestArrival");
  request("peerSelection");
  request("upstreamRequest");
  for (const phase of ["requestBody", "responseBody"] as const) {
    if (!used(phase)) continue;
    hook[phase] = (ctx, chunk) => {
      const hooks = of(ctx, phase);
      if (hooks !== undefined) for (let i = 0; i < hooks.length; i++) chunk = hooks[i]!(ctx, chunk);
      return chunk;
    };
  }
  for (const phase of ["upstreamResponse", "downstreamResponse"] as const) {
    if (!used(phase)) continue;
    hook[phase] = (ctx, status, headers) => {
      const hooks = of(ctx, phase);
      if (hooks !== undefined) for (let i = 0; i < hooks.length; i++) hooks[i]!(ctx, status, headers);
    };
  }
  if (used("logging")) {
    hook.logging = (ctx) => {
      const hooks = of(ctx, "logging");
      if (hooks !== undefined) for (let i = 0; i < hooks.length; i++) hooks[i]!(ctx);
    };
  }
  if (used("error")) {
    hook.error = (ctx, err) => {
      const hooks = of(ctx, "error");
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
