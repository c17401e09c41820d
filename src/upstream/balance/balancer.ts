import type { Endpoint } from "../endpoint.ts";
import type { EndpointState } from "../health/state.ts";

/**
 * The endpoints a balancer may choose from right now: healthy, of the best priority, of the route's
 * subset. An immutable snapshot, rebuilt when the set or a health verdict changes, so balancers may cache
 * what they derive from it (a ring, cumulative weights) in a WeakMap keyed by the snapshot.
 */
export interface Candidates {
  readonly endpoints: readonly Endpoint[];
  /** `states[i]` is the live state of `endpoints[i]` (in-flight counts for least_request). */
  readonly states: readonly EndpointState[];
  /** Sum of the weights. */
  readonly totalWeight: number;
  /** Every weight is the same: balancers take their unweighted fast path. */
  readonly uniform: boolean;
}

/** Chooses an endpoint for each new connection or request. */
export interface Balancer {
  /**
   * One of `c.endpoints`, skipping those in `exclude` (already tried by this request); undefined when
   * none is left. `hash` is the request's key hash, used by ring_hash only.
   */
  pick(c: Candidates, hash: number, exclude: ReadonlySet<Endpoint> | undefined): Endpoint | undefined;
}

export function candidates(endpoints: readonly Endpoint[], states: readonly EndpointState[]): Candidates {
  let totalWeight = 0;
  let uniform = true;
  for (let i = 0; i < endpoints.length; i++) {
    const w = endpoints[i]!.weight;
    totalWeight += w;
    if (w !== endpoints[0]!.weight) uniform = false;
  }
  return Object.freeze({ endpoints, states, totalWeight, uniform });
}

export const NO_CANDIDATES: Candidates = candidates([], []);

/** `c` without the endpoints in `exclude`: the slow path of a retry, never of a first try. */
export function without(c: Candidates, exclude: ReadonlySet<Endpoint> | undefined): Candidates {
  if (exclude === undefined || exclude.size === 0) return c;
  const endpoints: Endpoint[] = [];
  const states: EndpointState[] = [];
  for (let i = 0; i < c.endpoints.length; i++) {
    if (exclude.has(c.endpoints[i]!)) continue;
    endpoints.push(c.endpoints[i]!);
    states.push(c.states[i]!);
  }
  return candidates(endpoints, states);
}

/** A weighted random index of `c` (uniform when every weight is the same). */
export function weightedIndex(c: Candidates): number {
  const n = c.endpoints.length;
  if (c.uniform) return Math.floor(Math.random() * n);
  let r = Math.random() * c.totalWeight;
  for (let i = 0; i < n; i++) {
    r -= c.endpoints[i]!.weight;
    if (r < 0) return i;
  }
  return n - 1;
}
