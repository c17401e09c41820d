// The pools of one endpoint of an upstream with `proxy_protocol`. A connection that began with a PROXY
// header speaks for one client only, so it is never given to another: there is one Pool per client
// connection's header (its address, port and unique id), created on the client's first request and
// reused by its next ones. Bounded two ways: pools with nothing open or running for `idleMs` are closed
// by a sweep, and past `maxPools` the least recently used is closed (gracefully: its running requests
// finish) to make room.
import type { UpstreamDispatcher as Pool } from "./dispatcher.ts";

export const MAX_CLIENT_POOLS_PER_ENDPOINT = 1024;

interface Entry {
  readonly pool: Pool;
  lastUsed: number;
}

export class ClientPools {
  // Insertion order is recency order: a used entry is moved to the end.
  readonly #byHeader = new Map<string, Entry>();
  readonly #maxPools: number;

  constructor(maxPools = MAX_CLIENT_POOLS_PER_ENDPOINT) {
    this.#maxPools = maxPools;
  }

  get(key: string, create: () => Pool, now: number): Pool {
    let entry = this.#byHeader.get(key);
    if (entry !== undefined) {
      this.#byHeader.delete(key);
    } else {
      if (this.#byHeader.size >= this.#maxPools) this.#evictOldest();
      entry = { pool: create(), lastUsed: now };
    }
    entry.lastUsed = now;
    this.#byHeader.set(key, entry);
    return entry.pool;
  }

  /** Closes the pools idle (no connection, nothing running or queued) since before `now - idleMs`. */
  sweep(now: number, idleMs: number): void {
    for (const [key, entry] of this.#byHeader) {
      const s = entry.pool.stats;
      if (now - entry.lastUsed < idleMs || s.connected > 0 || s.running > 0 || s.pending > 0) continue;
      this.#byHeader.delete(key);
      void entry.pool.close().catch(() => {});
    }
  }

  get size(): number {
    return this.#byHeader.size;
  }

  pools(): IterableIterator<Pool> {
    return [...this.#byHeader.values()].map((e) => e.pool).values();
  }

  #evictOldest(): void {
    const first = this.#byHeader.entries().next();
    if (first.done) return;
    const [key, entry] = first.value;
    this.#byHeader.delete(key);
    void entry.pool.close().catch(() => {});
  }
}
