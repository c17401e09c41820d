// One undici Pool per upstream endpoint, created on first use and shared by every HTTP listener of a
// generation: keep-alive reuse for HTTP/1.1, multiplexed streams for `h2 = true` upstreams (HTTP/2 by
// prior knowledge). The pools of a generation are closed when the last listener using them closes.
import { type Dispatcher, Pool } from "undici";
import type { Generation } from "../../generation.ts";
import { trackPools } from "../../observe/pool-gauges.ts";
import { prepareUpstreamTls, upstreamTlsConnector } from "../../tls/upstream.ts";
import type { Endpoint } from "../endpoint.ts";
import type { Upstream } from "../upstream.ts";

/** Streams one HTTP/2 connection carries before the pool opens another. */
const H2_STREAMS_PER_CONNECTION = 100;

export class EndpointPools {
  readonly #byUpstream = new Map<Upstream, Map<string, Pool>>();
  #closed = false;

  /** The pool for `endpoint` of `upstream`; endpoints are keyed by "host:port", so a new endpoint
   * set that repeats an address keeps its pool. */
  get(upstream: Upstream, endpoint: Endpoint): Dispatcher {
    let pools = this.#byUpstream.get(upstream);
    if (pools === undefined) {
      pools = new Map();
      this.#byUpstream.set(upstream, pools);
    }
    let pool = pools.get(endpoint.key);
    if (pool === undefined) {
      pool = createPool(upstream, endpoint);
      pools.set(endpoint.key, pool);
    }
    return pool;
  }

  /** Connections open and requests queued or running, over all pools (for leak checks and stats). */
  stats(): { connected: number; running: number; pending: number } {
    let connected = 0;
    let running = 0;
    let pending = 0;
    for (const pools of this.#byUpstream.values()) {
      for (const pool of pools.values()) {
        connected += pool.stats.connected;
        running += pool.stats.running;
        pending += pool.stats.pending;
      }
    }
    return { connected, running, pending };
  }

  /** [upstream, endpoint, connected, free] of every pool, for weir_upstream_pool_connections. */
  *poolStats(): Iterable<readonly [string, string, number, number]> {
    for (const [upstream, pools] of this.#byUpstream) {
      for (const [key, pool] of pools) yield [upstream.name, key, pool.stats.connected, pool.stats.free];
    }
  }

  /** Lets running requests finish for up to `graceMs`, then destroys whatever is left. */
  async close(graceMs: number): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const pools = [...this.#byUpstream.values()].flatMap((m) => [...m.values()]);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([Promise.allSettled(pools.map((p) => p.close())), deadline]);
    clearTimeout(timer);
    await Promise.allSettled(pools.map((p) => (p.destroyed ? undefined : p.destroy())));
  }
}

function createPool(upstream: Upstream, endpoint: Endpoint): Pool {
  const c = upstream.config;
  const host = endpoint.host.includes(":") ? `[${endpoint.host}]` : endpoint.host;
  // TLS upstreams: undici's connector takes tls.connect options; with h2 it offers ALPN "h2", "http/1.1".
  const tls = upstreamTlsConnector(upstream, endpoint, { timeoutMs: c.connect_timeout, h2: c.h2 });
  return new Pool(`${tls ? "https" : "http"}://${host}:${endpoint.port}`, {
    connections: c.max_connections,
    connectTimeout: c.connect_timeout,
    headersTimeout: c.response_timeout,
    bodyTimeout: c.response_timeout,
    keepAliveTimeout: c.idle_timeout,
    keepAliveMaxTimeout: c.idle_timeout,
    ...(tls ? { connect: tls } : {}),
    ...(c.h2
      ? {
          allowH2: true,
          connect: (tls ?? { useH2c: true }) as never,
          pipelining: H2_STREAMS_PER_CONNECTION,
          maxConcurrentStreams: H2_STREAMS_PER_CONNECTION,
        }
      : {}),
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

/** Drops one user; the last one closes the pools (running requests get `graceMs`). */
export async function releasePools(gen: Generation, graceMs: number): Promise<void> {
  const entry = shared.get(gen);
  if (entry === undefined) return;
  if (--entry.users > 0) return;
  shared.delete(gen);
  entry.untrack();
  await entry.pools.close(graceMs);
}
