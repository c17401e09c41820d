// Routes compiled once per generation and listener into a lookup that never scans every route:
// exact host map → wildcard suffix map ("*.b.test" is stored under "b.test") → host-less routes.
// The first bucket with a match wins (exact host over wildcard over none); inside a bucket, routes are
// ordered by prefix length, longest first, ties in file order, and the first whose prefix and method
// match wins. CONNECT targets get their own map (see `connectRoute`).
import type { RouteConfig } from "../config/schema/index.ts";
import type { Generation } from "../generation.ts";
import type { Subset, Upstream } from "../upstream/upstream.ts";
import type { Reply } from "./phases.ts";

export interface ForwardedFlags {
  readonly xForwardedFor: boolean;
  readonly xForwardedProto: boolean;
  readonly xForwardedHost: boolean;
  readonly forwarded: boolean;
  readonly via: boolean;
}

export interface CompiledRoute {
  /** Position in the config's `routes` array. */
  readonly index: number;
  /** The route's name, or "#<index>": its label in logs and metrics. */
  readonly label: string;
  readonly prefix: string;
  readonly methods: ReadonlySet<string> | undefined;
  readonly upstream: Upstream | undefined;
  /** Metadata the endpoints must carry (`subset`), frozen; undefined for all of them. */
  readonly subset: Subset | undefined;
  /** The fixed response of a `respond` route, body encoded once. */
  readonly reply: Reply | undefined;
  /** 0: no limit. */
  readonly maxBodySize: number;
  readonly websocket: boolean;
  readonly forwarded: ForwardedFlags;
}

export interface RouteTable {
  /** The route for a request; `host` as host.ts makes it ("" when the request named none). */
  match(host: string, path: string, method: string): CompiledRoute | undefined;
  /** The first route (in file order) that allows CONNECT to `target` ("host:port", lower case). */
  connectRoute(target: string): CompiledRoute | undefined;
}

class Bucket {
  readonly routes: CompiledRoute[] = [];

  add(route: CompiledRoute): void {
    this.routes.push(route);
    // Stable sort: equal prefix lengths keep file order.
    this.routes.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  match(path: string, method: string): CompiledRoute | undefined {
    const routes = this.routes;
    for (let i = 0; i < routes.length; i++) {
      const r = routes[i]!;
      if (path.startsWith(r.prefix) && (r.methods === undefined || r.methods.has(method))) return r;
    }
    return undefined;
  }
}

class CompiledTable implements RouteTable {
  readonly #exact = new Map<string, Bucket>();
  readonly #wildcard = new Map<string, Bucket>();
  readonly #any = new Bucket();
  readonly #connect = new Map<string, CompiledRoute>();

  add(route: CompiledRoute, host: string | undefined, connect: readonly string[]): void {
    for (const target of connect) {
      const key = target.toLowerCase();
      if (!this.#connect.has(key)) this.#connect.set(key, route);
    }
    if (host === undefined) {
      this.#any.add(route);
      return;
    }
    let name = host.toLowerCase();
    if (name.endsWith(".")) name = name.slice(0, -1);
    const map = name.startsWith("*.") ? this.#wildcard : this.#exact;
    if (map === this.#wildcard) name = name.slice(2);
    let bucket = map.get(name);
    if (bucket === undefined) {
      bucket = new Bucket();
      map.set(name, bucket);
    }
    bucket.add(route);
  }

  match(host: string, path: string, method: string): CompiledRoute | undefined {
    if (host.length > 0) {
      const exact = this.#exact.get(host);
      if (exact !== undefined) {
        const r = exact.match(path, method);
        if (r !== undefined) return r;
      }
      if (this.#wildcard.size > 0) {
        const dot = host.indexOf(".");
        const wild = dot > 0 ? this.#wildcard.get(host.slice(dot + 1)) : undefined;
        if (wild !== undefined) {
          const r = wild.match(path, method);
          if (r !== undefined) return r;
        }
      }
    }
    return this.#any.match(path, method);
  }

  connectRoute(target: string): CompiledRoute | undefined {
    return this.#connect.get(target);
  }
}

/** The routes that apply to `listener`, compiled. Route references were validated with the config. */
export function compileRoutes(gen: Generation, listener: string): RouteTable {
  const table = new CompiledTable();
  const transparent = gen.config.listeners[listener]?.transparent === true;
  gen.config.routes.forEach((config, index) => {
    if (config.listeners !== undefined && !config.listeners.includes(listener)) return;
    // Passthrough routes are matched by SNI before TLS is terminated (src/tls/passthrough.ts).
    if (config.passthrough) return;
    // A transparent listener routes by authority; what matches no route goes to its original destination.
    // A route without `host` would match every authority there, so it applies only if it names the listener.
    if (transparent && config.host === undefined && config.listeners === undefined) return;
    const route = compileRoute(gen, config, index);
    table.add(route, config.host, config.connect);
    if (transparent && config.host !== undefined) {
      const search = config.upstream ? gen.config.upstreams[config.upstream]?.discovery?.search : undefined;
      for (const alias of searchAliases(config.host, search ?? [])) table.add(route, alias, []);
    }
  });
  return table;
}

/**
 * The short names a search list resolves to `host` (as the upstreams' discovery does: "web" with search
 * domain "svc.internal" is tried as "web.svc.internal"), so that an authority a client wrote short
 * matches the route of its full name. Wildcard hosts have none.
 */
export function searchAliases(host: string, search: readonly string[]): string[] {
  const name = host.toLowerCase().replace(/\.$/, "");
  if (name.startsWith("*.")) return [];
  const aliases: string[] = [];
  for (const domain of search) {
    const suffix = `.${domain.toLowerCase().replace(/\.$/, "")}`;
    if (name.endsWith(suffix) && name.length > suffix.length) aliases.push(name.slice(0, -suffix.length));
  }
  return aliases;
}

function compileRoute(gen: Generation, config: RouteConfig, index: number): CompiledRoute {
  const f = config.forwarded;
  return Object.freeze({
    index,
    label: config.name ?? `#${index}`,
    prefix: config.path_prefix ?? "/",
    methods: config.methods === undefined ? undefined : new Set(config.methods),
    upstream: config.upstream === undefined ? undefined : gen.upstreams.get(config.upstream),
    subset: config.subset === undefined ? undefined : Object.freeze({ ...config.subset }),
    reply: config.respond === undefined ? undefined : compileReply(config.respond),
    maxBodySize: config.max_body_size,
    websocket: config.websocket,
    forwarded: Object.freeze({
      xForwardedFor: f.x_forwarded_for,
      xForwardedProto: f.x_forwarded_proto,
      xForwardedHost: f.x_forwarded_host,
      forwarded: f.forwarded,
      via: f.via,
    }),
  });
}

function compileReply(respond: NonNullable<RouteConfig["respond"]>): Reply {
  const body = Buffer.from(respond.body);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(respond.headers)) headers[name.toLowerCase()] = value;
  headers["content-length"] = String(body.length);
  return Object.freeze({ status: respond.status, headers: Object.freeze(headers), body });
}
