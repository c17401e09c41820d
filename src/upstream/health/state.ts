// What weir knows about one endpoint of one upstream: its active-check verdict, its passive ejection, and
// the requests and tunnels it carries now. The states live in a registry keyed by upstream name and
// endpoint key that outlives config generations (as Caddy keeps health apart from its config), so a new
// generation in the same process starts from what the old one learnt.

export type ActiveState = "healthy" | "unhealthy" | "unknown";

/** The passive-check settings of an upstream (from `health`). */
export interface PassivePolicy {
  /** Consecutive failures that eject; 0: passive checks off. */
  readonly failures: number;
  readonly ejectMs: number;
  readonly maxEjectMs: number;
}

export class EndpointState {
  readonly upstream: string;
  readonly key: string;
  /** The active checks' verdict; "unknown" counts as down until a first check passes. */
  active: ActiveState;
  /** Consecutive active-check results in the same direction (toward rise or fall). */
  streak = 0;
  /** Consecutive failed requests (passive). */
  failures = 0;
  /** Ejections in a row: each doubles the next ejection time. */
  ejections = 0;
  /** performance.now() until which the endpoint is ejected; 0 when it is not. */
  ejectedUntil = 0;
  /** Requests and tunnels running on it now (least_request). */
  inflight = 0;

  constructor(upstream: string, key: string, active: ActiveState) {
    this.upstream = upstream;
    this.key = key;
    this.active = active;
  }

  /** Whether the balancer may pick it at `now` (performance.now()). */
  available(now: number): boolean {
    return this.active === "healthy" && this.ejectedUntil <= now;
  }

  /** A request failed in a way passive checks count. True when this failure ejected the endpoint. */
  recordFailure(policy: PassivePolicy, now: number): boolean {
    if (policy.failures === 0) return false;
    this.failures++;
    if (this.failures < policy.failures || this.ejectedUntil > now) return false;
    const ms = Math.min(policy.maxEjectMs, policy.ejectMs * 2 ** Math.min(this.ejections, 30));
    this.ejections++;
    this.failures = 0;
    this.ejectedUntil = now + ms;
    return true;
  }

  /** A request succeeded: the failure streak and the ejection backoff start over. */
  recordSuccess(): void {
    this.failures = 0;
    this.ejections = 0;
    this.ejectedUntil = 0;
  }
}

const registry = new Map<string, EndpointState>();

/** The state of `key` in `upstream`, created in `start` state on first sight. */
export function endpointState(upstream: string, key: string, start: ActiveState): EndpointState {
  const id = `${upstream}\u0000${key}`;
  let s = registry.get(id);
  if (s === undefined) {
    s = new EndpointState(upstream, key, start);
    registry.set(id, s);
  }
  return s;
}

/** Forget an endpoint that left the set, so a later return starts fresh and the map stays bounded. */
export function forgetEndpoint(upstream: string, key: string): void {
  const id = `${upstream}\u0000${key}`;
  const s = registry.get(id);
  if (s !== undefined && s.inflight === 0) registry.delete(id);
}
