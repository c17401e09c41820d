// The destinations a transparent listener sends HTTP requests to outside any discovered set: original
// destinations, and the addresses the system resolver gave for authorities discovery did not know. Each
// has a pool of upstream connections (src/upstream/pool) and a health-registry entry, neither of which
// any discovery publish ever removes: a client that reaches many destinations would grow them without
// bound. This table bounds them:
// - a destination with no request in progress and none begun for `idleMs` is evicted;
// - past `maxEntries`, the least recently used destination with no request in progress is evicted;
//   destinations with requests in progress are never evicted, so the table can exceed the cap by the
//   number of destinations with requests running at once (bounded by the client connections).
// Eviction runs when a request begins (no timer, so nothing outlives the generation); `onEvict` releases
// what the destination held. A later request to an evicted destination starts a fresh entry.
import { type Endpoint, makeEndpoint } from "../upstream/endpoint.ts";

export interface DestinationLimits {
  /** Most destinations kept without a request in progress. */
  readonly maxEntries: number;
  /** A destination unused for this long is evicted. */
  readonly idleMs: number;
}

/** Enough for a sidecar's working set; each entry holds a small pool object and a health record. */
export const MAX_DESTINATIONS = 4096;

export interface Destination {
  readonly endpoint: Endpoint;
  /** Requests begun (acquire) and not yet over (release). */
  active: number;
  lastUsed: number;
  /** False once evicted: a holder must acquire again. */
  live: boolean;
}

export class Destinations {
  // Insertion order is recency order: an acquired entry moves to the end.
  readonly #byKey = new Map<string, Destination>();
  readonly #byEndpoint = new WeakMap<Endpoint, Destination>();
  readonly #limits: DestinationLimits;
  readonly #onEvict: (endpoint: Endpoint) => void;

  constructor(limits: DestinationLimits, onEvict: (endpoint: Endpoint) => void) {
    this.#limits = limits;
    this.#onEvict = onEvict;
  }

  /** The destination host:port (an address or a name, IPv6 without brackets); one more request on it. */
  acquire(host: string, port: number, now: number): Destination {
    const key = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
    let d = this.#byKey.get(key);
    if (d === undefined) {
      const endpoint = makeEndpoint(host, port);
      d = { endpoint, active: 0, lastUsed: now, live: true };
      this.#byEndpoint.set(endpoint, d);
    }
    return this.#use(key, d, now);
  }

  /** One more request on `d` (a holder's cached entry), or on its fresh successor if `d` was evicted. */
  reacquire(d: Destination, now: number): Destination {
    if (!d.live) return this.acquire(d.endpoint.host, d.endpoint.port, now);
    return this.#use(d.endpoint.key, d, now);
  }

  /** A request begun with acquire is over. `endpoint` is the one acquire returned; others are ignored. */
  release(endpoint: Endpoint, now: number): void {
    const d = this.#byEndpoint.get(endpoint);
    if (d === undefined || d.active === 0) return;
    d.active--;
    d.lastUsed = now;
    if (!d.live) return;
    // To the recent end, so that lastUsed grows along the map and pruning can stop at the first fresh one.
    this.#byKey.delete(endpoint.key);
    this.#byKey.set(endpoint.key, d);
  }

  get size(): number {
    return this.#byKey.size;
  }

  #use(key: string, d: Destination, now: number): Destination {
    this.#byKey.delete(key);
    this.#prune(now);
    d.active++;
    d.lastUsed = now;
    this.#byKey.set(key, d);
    return d;
  }

  /** Evicts idle entries from the least recently used end, then the oldest idle ones while over the cap. */
  #prune(now: number): void {
    const cutoff = now - this.#limits.idleMs;
    let over = this.#byKey.size - this.#limits.maxEntries + 1;
    for (const [key, d] of this.#byKey) {
      if (d.active > 0) continue;
      if (d.lastUsed > cutoff && over <= 0) break;
      this.#byKey.delete(key);
      over--;
      d.live = false;
      this.#onEvict(d.endpoint);
    }
  }
}
