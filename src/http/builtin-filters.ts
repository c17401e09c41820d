// Routing and peer selection as the first users of the phases: built-in filters that plug in exactly as
// later built-in and user filters will.
import { parseEndpoint } from "../upstream/endpoint.ts";
import { selectEndpoint } from "../upstream/select.ts";
import type { HttpFilter } from "./phases.ts";
import type { RequestContext } from "./request-context.ts";
import type { RouteTable } from "./routes.ts";

/** requestArrival: picks `ctx.route` from the compiled table; CONNECT by its target (authority-form). */
export function routingFilter(table: RouteTable): HttpFilter {
  return {
    name: "routing",
    requestArrival(ctx: RequestContext) {
      ctx.route ??=
        ctx.method === "CONNECT"
          ? table.connectRoute(ctx.path.toLowerCase())
          : table.match(ctx.host, ctx.path, ctx.method);
      return undefined;
    },
  };
}

/**
 * peerSelection: the route's upstream and its balancer's next endpoint, skipping those already tried.
 * A CONNECT goes to its own target, which the route listed.
 */
export const balancerFilter: HttpFilter = {
  name: "balancer",
  peerSelection(ctx: RequestContext) {
    if (ctx.endpoint !== undefined) return undefined;
    if (ctx.method === "CONNECT") {
      ctx.endpoint = parseEndpoint(ctx.path);
      return undefined;
    }
    const upstream = ctx.route?.upstream;
    if (upstream === undefined) return undefined;
    ctx.upstream = upstream;
    return selectEndpoint(ctx, upstream, ctx.route?.subset);
  },
};
