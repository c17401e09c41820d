// HTTP on a transparent listener: each request goes where its authority says when a route matches it
// (routes.ts matches the authority as given and, for routes whose upstream has discovery search domains,
// its short name: "web" finds the route for "web.svc.internal"); a request whose authority matches no
// route, and an HTTP/1.0 request without Host, goes to the connection's original destination. That
// destination is an ad-hoc endpoint of one internal upstream, "original_dst", so its connections are
// pooled per original destination like any endpoint's, and its requests are logged and counted with
// route "original_dst". A route whose upstream's discovery says the name is unknown (settled, no
// endpoints) falls back to the system resolver for the authority's host. A request that already passed
// through this process is a loop (the redirect did not exempt weir's own connections): answered 508
// (transparent-loop.ts). The destinations outside discovery (original destinations, addresses from the
// system resolver) are kept in a bounded table (transparent-destinations.ts): an evicted one's pool is
// closed and its health record forgotten.
//
// Contract: an HttpFilter added after the built-in routing and balancer filters of the listener's HTTP
// service; requestArrival runs after routing (it fills only an empty ctx.route), peerSelection after the
// balancer (it fills only an empty ctx.endpoint). Nothing here throws; a failed lookup leaves the request
// without an endpoint (503, as any upstream without endpoints).
import { lookup } from "node:dns/promises";
import { upstreamSchema } from "../config/schema/upstream.ts";
import type { Generation } from "../generation.ts";
import type { HttpFilter } from "../http/phases.ts";
import type { RequestContext } from "../http/request-context.ts";
import type { CompiledRoute } from "../http/routes.ts";
import type { ConnectionContext } from "../listener/connection.ts";
import type { Endpoint } from "../upstream/endpoint.ts";
import { forgetEndpoint } from "../upstream/health/state.ts";
import { Upstream } from "../upstream/upstream.ts";
import {
  type Destination,
  type DestinationLimits,
  Destinations,
  MAX_DESTINATIONS,
} from "./transparent-destinations.ts";
import { detectOrMarkLoop, LOOP_REPLY } from "./transparent-loop.ts";
import { ORIGINAL_DST_CONNECT_TIMEOUT_MS, ORIGINAL_DST_UPSTREAM } from "./transparent-tunnel.ts";

/** The internal upstream of original destinations: no endpoints of its own, no retries (one destination). */
function originalDstUpstream(): Upstream {
  const config = upstreamSchema.parse({
    endpoints: ["127.0.0.1:9"],
    retries: 0,
    connect_timeout: `${ORIGINAL_DST_CONNECT_TIMEOUT_MS}ms`,
  });
  const upstream = new Upstream(ORIGINAL_DST_UPSTREAM, config);
  upstream.endpoints = [];
  return upstream;
}

/** The route of requests sent to their original destination: forwarding headers as a route's defaults. */
function originalDstRoute(upstream: Upstream): CompiledRoute {
  return Object.freeze({
    index: -1,
    label: ORIGINAL_DST_UPSTREAM,
    prefix: "/",
    methods: undefined,
    upstream,
    subset: undefined,
    reply: undefined,
    maxBodySize: 0,
    websocket: true,
    forwarded: Object.freeze({
      xForwardedFor: true,
      xForwardedProto: true,
      xForwardedHost: true,
      forwarded: false,
      via: false,
    }),
  });
}

/** The port of an authority ("web:8080", "[::1]:81"), or undefined without one. */
function authorityPort(authority: string): number | undefined {
  const match = /:(\d{1,5})$/.exec(authority);
  if (match === null || (authority.startsWith("[") && !authority.includes("]:"))) return undefined;
  const port = Number(match[1]);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/**
 * `limits` bound the destinations kept outside discovery; by default MAX_DESTINATIONS, each evicted
 * after the internal upstream's idle_timeout without a request (when its pooled connections have closed).
 */
export function transparentHttpFilter(gen: Generation, limits?: Partial<DestinationLimits>): HttpFilter {
  const upstream = originalDstUpstream();
  const route = originalDstRoute(upstream);
  const destinations = new Destinations(
    {
      maxEntries: limits?.maxEntries ?? MAX_DESTINATIONS,
      idleMs: limits?.idleMs ?? upstream.config.idle_timeout,
    },
    (endpoint: Endpoint) => {
      forgetEndpoint(ORIGINAL_DST_UPSTREAM, endpoint.key);
      // Loaded already by the HTTP service that runs this filter; imported here only when needed, so that
      // this module keeps undici out of workers without HTTP listeners.
      void import("../upstream/pool/index.ts").then((pools) =>
        pools.peekPools(gen)?.forget(upstream, endpoint.key),
      );
    },
  );
  // The destination of a connection's requests, kept per connection: a keep-alive connection's next
  // request finds it without building its key again.
  const held = new WeakMap<ConnectionContext, Destination>();
  const acquireFor = (conn: ConnectionContext): Endpoint | undefined => {
    const now = Date.now();
    let d = held.get(conn);
    if (d !== undefined) d = destinations.reacquire(d, now);
    else if (conn.originalDst !== undefined)
      d = destinations.acquire(conn.originalDst.address, conn.originalDst.port, now);
    else return undefined;
    held.set(conn, d);
    return d.endpoint;
  };

  async function resolveBySystem(ctx: RequestContext): Promise<undefined> {
    const port = authorityPort(ctx.authority) ?? ctx.conn.ctx.originalDst?.port;
    if (port === undefined) return undefined;
    try {
      const { address } = await lookup(ctx.host);
      // The client may have left while the resolver answered: its logging already ran.
      if (ctx.finished) return undefined;
      ctx.endpoint = destinations.acquire(address, port, Date.now()).endpoint;
      ctx.upstream = upstream;
    } catch (err) {
      gen.log.info(
        { listener: ctx.conn.ctx.listener, host: ctx.host, code: (err as NodeJS.ErrnoException).code },
        "authority unknown to discovery and to the system resolver",
      );
    }
    return undefined;
  }

  return {
    name: "transparent",
    requestArrival(ctx) {
      if (detectOrMarkLoop(ctx.upstreamHeaders)) {
        gen.log.error(
          { listener: ctx.conn.ctx.listener, conn: ctx.conn.ctx.id, host: ctx.host, path: ctx.path },
          "request loop: this request came back to weir; exempt weir's user from the redirect (weir iptables)",
        );
        return LOOP_REPLY;
      }
      if (ctx.route !== undefined || ctx.method === "CONNECT") return undefined;
      // A hook before this one may have waited, and the client left meanwhile: its logging already ran.
      if (ctx.finished) return undefined;
      const endpoint = acquireFor(ctx.conn.ctx);
      if (endpoint === undefined) return undefined;
      ctx.route = route;
      ctx.upstream = upstream;
      ctx.endpoint = endpoint;
      return undefined;
    },
    peerSelection(ctx) {
      if (ctx.endpoint !== undefined || ctx.tried !== undefined || ctx.host === "") return undefined;
      const own = ctx.route?.upstream;
      if (own === undefined || own === upstream || !own.settled || own.endpoints.length > 0) return undefined;
      return resolveBySystem(ctx);
    },
    logging(ctx) {
      if (ctx.upstream === upstream && ctx.endpoint !== undefined)
        destinations.release(ctx.endpoint, Date.now());
    },
  };
}
