// Built-in route filters by `kind`, and the one place a route's `[[routes.filters]]` list becomes live
// filter objects. Built-ins are provisioned exactly as user modules are: a section in, hooks out.
// All `rate_limit` entries of a route become one filter (at the place of the first) so that a request
// takes a token from none of them unless all admit it.
import type { RouteFilterConfig } from "../config/schema/filters.ts";
import { authRequestFilter } from "./auth-request/index.ts";
import { bodyLimitFilter } from "./body-limit/index.ts";
import { cidrFilter } from "./cidr/index.ts";
import { createModuleFilter, guardFilter } from "./module/index.ts";
import { type RateLimitEntry, rateLimitFilter } from "./rate-limit/index.ts";
import { removeHeadersFilter } from "./remove-headers/index.ts";
import { requestIdFilter } from "./request-id/index.ts";
import { setHeadersFilter } from "./set-headers/index.ts";
import type { FilterEnv, ProvisionedFilter } from "./types.ts";

type BuiltinKind = Exclude<RouteFilterConfig["kind"], "module" | "rate_limit">;
type Builder<K extends BuiltinKind> = (
  config: Extract<RouteFilterConfig, { kind: K }>,
  env: FilterEnv,
) => ProvisionedFilter;

export const BUILTIN_FILTERS: { readonly [K in BuiltinKind]: Builder<K> } = {
  cidr: (c) => cidrFilter(c),
  remove_headers: (c) => removeHeadersFilter(c),
  set_headers: (c) => setHeadersFilter(c),
  body_limit: (c, env) => bodyLimitFilter(c, env),
  auth_request: (c, env) => authRequestFilter(c, env.log),
  request_id: (c) => requestIdFilter(c),
};

/**
 * The live filters of one route, in its order. Module paths must already be absolute (config load
 * resolves them). Throws (FilterModuleError, TemplateError) on a filter that cannot be provisioned;
 * whatever was provisioned before the failure is closed first.
 */
export function provisionRouteFilters(
  configs: readonly RouteFilterConfig[],
  routeLabel: string,
  env: FilterEnv,
): ProvisionedFilter[] {
  const out: ProvisionedFilter[] = [];
  const rateLimits: RateLimitEntry[] = [];
  try {
    configs.forEach((config, i) => {
      if (config.kind === "rate_limit") {
        rateLimits.push({ config, id: `${routeLabel}:${i}` });
        if (rateLimits.length === 1) out.push(undefined as unknown as ProvisionedFilter); // its place
        return;
      }
      if (config.kind === "module") {
        const file = config.module;
        const name = `module:${file.slice(file.lastIndexOf("/") + 1)}`;
        out.push(guardFilter(createModuleFilter(file, config, env), name, env));
        return;
      }
      const build = BUILTIN_FILTERS[config.kind] as Builder<BuiltinKind>;
      out.push(build(config as Extract<RouteFilterConfig, { kind: BuiltinKind }>, env));
    });
    if (rateLimits.length > 0)
      out[out.indexOf(undefined as unknown as ProvisionedFilter)] = rateLimitFilter(rateLimits, env.log);
  } catch (err) {
    closeFilters(out);
    throw err;
  }
  return out;
}

/** Closes each filter once; errors are swallowed (a filter going away must not stop the others). */
export async function closeFilters(filters: readonly (ProvisionedFilter | undefined)[]): Promise<void> {
  await Promise.all(
    filters.map(async (f) => {
      try {
        await f?.close?.();
      } catch {}
    }),
  );
}
