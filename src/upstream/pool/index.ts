// One pool per upstream endpoint, created on first use and shared by every HTTP listener of a
// generation: weir's own HTTP/1.1 client with keep-alive reuse (src/upstream/h1/), or an undici Pool with
// multiplexed streams for `h2 = true` upstreams (HTTP/2 by prior knowledge or ALPN). The pools of a
// generation are closed when the last listener using them closes.
import { Pool } from "undici";
import type { Generation } from "../../generation.ts";
import type { ConnectionContext } from "../../listener/connection.ts";
import { localProxyHeader, proxyHeaderFor } from "../../listener/proxy-send.ts";
import { trackPools } from "../../observe/pool-gauges.ts";
import { prepareUpstreamTls } from "../../tls/upstream.ts";
import type { Endpoint } from "../endpoint.ts";
import { H1Pool } from "../h1/pool.ts";
import type { Upstream } from "../upstream.ts";
import { ClientPools } from "./client-pools.ts";
import type { UpstreamDispatcher } from "./dispatcher.ts";
import { proxyHeaderConnector } from "./proxy-connect.ts";
import { upstreamTlsConnector } from "./tls-connector.ts";

/** Streams one HTTP/2 connection carries before the pool opens another. */
const H2_STREAMS_PER_CONNECTION = 100;

export class EndpointPools {
  readonly #byUpstream = new Map<Upstream, Map<string, UpstreamDispatcher>>();
  /** Upstreams with `proxy_protocol`: per endpoint key, the pools of each client (client-pools.ts). */
  readonly #perClient = new Map<Upstream, Map<string, ClientPools>>();
  #sweeper: NodeJS.Timeout | undefined;
  #closed = false;

  /** The pool for `endpoint` of `upstream`; endpoints are keyed by "host:port", so a new endpoint
   * set that repeats an address keeps its pool. For an upstream with `proxy_protocol`, requests of
   * `client` get a pool of their own whose connections start with that client's PROXY header; without
   * a client (weir's own requests) the shared pool's connections send a LOCAL header. */
  get(upstream: Upstream, endpoint: Endpoint, client?: ConnectionContext): UpstreamDispatcher {
    const version = upstream.config.proxy_protocol;
    if (version !== undefined && client !== undefined) {
      const header = proxyHeaderFor(version, client);
      return this.#clientPools(upstream, endpoint).get(
        header.key,
        () => createPool(upstream, endpoint, header.bytes),
        Date.now(),
      );
    }
    let pools = this.#byUpstream.get(upstream);
    if (pools === undefined) {
      pools = new Map();
      this.#byUpstream.set(upstream, pools);
    }
    let pool = pools.get(endpoint.key);
    if (pool === undefined) {
      const version = upstream.config.proxy_protocol;
      pool = createPool(upstream, endpoint, version === undefined ? undefined : localProxyHeader(version));
      pools.set(endpoint.key, pool);
    }
    return pool;
  }

  /**
   * Closes the shared pool of endpoint `key` of `upstream` and forgets it; its running requests finish
   * first. For endpoints that no discovered set lists and whose owner bounds them (a transparent
   * listener's original destinations, src/listener/transparent-destinations.ts).
   */
  forget(upstream: Upstream, key: string): void {
    const pools = this.#byUpstream.get(upstream);
    const pool = pools?.get(key);
    if (pools === undefined || pool === undefined) return;
    pools.delete(key);
    void pool.close().catch(() => {});
  }

  #clientPools(upstream: Upstream, endpoint: Endpoint): ClientPools {
    let byEndpoint = this.#perClient.get(upstream);
    if (byEndpoint === undefined) {
      byEndpoint = new Map();
      this.#perClient.set(upstream, byEndpoint);
    }
    let pools = byEndpoint.get(endpoint.key);
    if (pools === undefined) {
      pools = new ClientPools();
      byEndpoint.set(endpoint.key, pools);
    }
    if (this.#sweeper === undefined && !this.#closed) {
      this.#sweeper = setInterval(() => this.#sweep(), CLIENT_POOL_SWEEP_MS);
      this.#sweeper.unref();
    }
    return pools;
  }

  #sweep(): void {
    const now = Date.now();
    for (const [upstream, byEndpoint] of this.#perClient) {
      for (const pools of byEndpoint.values()) pools.sweep(now, upstream.config.idle_timeout);
    }
  }

  /** Every pool: shared ones, then per-client ones. */
  *#allPools(): Iterable<UpstreamDispatcher> {
    for (const pools of this.#byUpstream.values()) yield* pools.values();
    for (const byEndpoint of this.#perClient.values()) {
      for (const pools of byEndpoint.values()) yield* pools.pools();
    }
  }

  /** Connections open and requests queued or running, over all pools (for leak checks and stats). */
  stats(): { connected: number; running: number; pending: number } {
    let connected = 0;
    let running = 0;
    let pending = 0;
    for (const pool of this.#allPools()) {
      connected += pool.stats.connected;
      running += pool.stats.running;
      pending += pool.stats.pending;
    }
    return { connected, running, pending };
  }

  /** [upstream, endpoint, connected, free] of every pool, for weir_upstream_pool_connections. */
  *poolStats(): Iterable<readonly [string, string, number, number]> {
    for (const [upstream, pools] of this.#byUpstream) {
      const clients = this.#perClient.get(upstream);
      for (const [key, pool] of pools) {
        if (clients?.has(key)) continue; // counted with its client pools below
        yield [upstream.name, key, pool.stats.connected, pool.stats.free];
      }
    }
    // Per-client pools are summed per endpoint: a client address is never a label.
    for (const [upstream, byEndpoint] of this.#perClient) {
      for (const [key, clientPools] of byEndpoint) {
        const shared = this.#byUpstream.get(upstream)?.get(key);
        let connected = shared?.stats.connected ?? 0;
        let free = shared?.stats.free ?? 0;
        for (const pool of clientPools.pools()) {
          connected += pool.stats.connected;
          free += pool.stats.free;
        }
        yield [upstream.name, key, connected, free];
      }
    }
  }

  /** Lets running requests finish for up to `graceMs`, then destroys whatever is left. */
  async close(graceMs: number): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweeper);
    const pools = [...this.#allPools()];
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([Promise.allSettled(pools.map((p) => p.close())), deadline]);
    clearTimeout(timer);
    await Promise.allSettled(pools.map((p) => (p.destroyed ? undefined : p.destroy())));
  }
}

/** How often idle per-client pools (PROXY-sending upstreams) are looked for and closed. */
const CLIENT_POOL_SWEEP_MS = 5_000;

/** `proxyHeader`: the PROXY header every connection of the pool starts with (proxy-connect.ts). */
function createPool(upstream: Upstream, endpoint: Endpoint, proxyHeader?: Buffer): UpstreamDispatcher {
  const c = upstream.config;
  // TLS upstreams: undici's connector takes tls.connect options; with h2 it offers ALPN "h2", "http/1.1".
  const tls = upstreamTlsConnector(upstream, endpoint, { timeoutMs: c.connect_timeout, h2: c.h2 });
  const connect =
    proxyHeader === undefined
      ? tls
      : proxyHeaderConnector({ header: proxyHeader, timeoutMs: c.connect_timeout, h2c: c.h2, tls });
  if (!c.h2) {
    return new H1Pool({
      connect,
      connectTimeoutMs: c.connect_timeout,
      hostname: endpoint.host,
      port: endpoint.port,
      protocol: tls ? "https:" : "http:",
      maxConnections: c.max_connections,
      responseTimeoutMs: c.response_timeout,
      idleTimeoutMs: c.idle_timeout,
    });
  }
  const host = endpoint.host.includes(":") ? `[${endpoint.host}]` : endpoint.host;
  return new Pool(`${tls ? "https" : "http"}://${host}:${endpoint.port}`, {
    connections: c.max_connections,
    connectTimeout: c.connect_timeout,
    headersTimeout: c.response_timeout,
    bodyTimeout: c.response_timeout,
    keepAliveTimeout: c.idle_timeout,
    keepAliveMaxTimeout: c.idle_timeout,
    allowH2: true,
    connect: (connect ?? { useH2c: true }) as never,
    pipelining: H2_STREAMS_PER_CONNECTION,
    maxConcurrentStreams: H2_STREAMS_PER_CONNECTION,
  });
}

const shared = new WeakMap<Generation, { pools: EndpointPools; users: number; untrack: () => void }>();

/** The generation's pools; every acquire is matched by one `releasePools`. */
export function acquirePools(gen: Generation): EndpointPools {
  let entry = shared.get(gen);
  if (entry === undefined) {
    // Reads upstream CA/cert/key files now: a missing one stops the start, not the first request.
    prepareUpstreamTls(gen);
    const pools = new EndpointPools();
    entry = { pools, users: 0, untrack: trackPools(gen.metrics.registry, pools) };
    shared.set(gen, entry);
  }
  entry.users++;
  return entry.pools;
}

/** The generation's pools while a service holds them, without acquiring them. */
export function peekPools(gen: Generation): EndpointPools | undefined {
  return shared.get(gen)?.pools;
}

/** Drops one user; the last one closes the pools (running requests get `graceMs`). */
export async function releasePools(gen: Generation, graceMs: number): Promise<void> {
  const entry = shared.get(gen);
  if (entry === undefined) return;
  if (--entry.users > 0) return;
  shared.delete(gen);
  entry.untrack();
  await entry.pools.close(graceMs);
}
