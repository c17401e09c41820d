// weir_upstream_pool_connections{upstream,endpoint,state}: connections of each endpoint's pool that carry
// a request now (in_use) or wait for one (idle), read from undici's pool stats when the registry is
// collected. The pools of every HTTP service of a generation are tracked while they are in use.
import { Gauge, type Registry } from "prom-client";

/** What the gauge reads from a generation's pools (src/upstream/pool). */
export interface PoolSource {
  /** [upstream, endpoint key, connected, free] per pool. */
  poolStats(): Iterable<readonly [string, string, number, number]>;
}

const tracked = new WeakMap<Registry, Set<PoolSource>>();

export function trackPools(registry: Registry, source: PoolSource): () => void {
  let sources = tracked.get(registry);
  if (sources === undefined) {
    const set = new Set<PoolSource>();
    sources = set;
    tracked.set(registry, set);
    new Gauge({
      name: "weir_upstream_pool_connections",
      help: "Pooled upstream connections, by upstream, endpoint and state (in_use: carrying a request; idle: kept for reuse).",
      labelNames: ["upstream", "endpoint", "state"] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const s of set) {
          for (const [upstream, endpoint, connected, free] of s.poolStats()) {
            this.inc({ upstream, endpoint, state: "in_use" }, Math.max(0, connected - free));
            this.inc({ upstream, endpoint, state: "idle" }, free);
          }
        }
      },
    });
  }
  sources.add(source);
  const set = sources;
  return () => set.delete(source);
}
