// An upstream cluster as the request path sees it: a name, the current endpoint set, a balancer, health
// and the connection settings. Discovery publishes endpoint sets; health marks endpoints up or down; the
// request path only reads an immutable snapshot of the candidates (healthy, best priority, per subset),
// rebuilt when something changed. A request holds its Endpoint object, so a new set never disturbs it.
import type { UpstreamConfig } from "../config/schema/index.ts";
import { localProxyHeader } from "../listener/proxy-send.ts";
import type { Logger } from "../observe/log.ts";
import type { Metrics } from "../observe/metrics.ts";
import { type Balancer, type Candidates, candidates, NO_CANDIDATES } from "./balance/balancer.ts";
import { balancers } from "./balance/index.ts";
import { DiscoveryLoop } from "./discovery/loop.ts";
import { type Source, sourceFor } from "./discovery/source.ts";
import type { Endpoint } from "./endpoint.ts";
import { ActiveChecker } from "./health/active.ts";
import { type EndpointState, endpointState, forgetEndpoint, type PassivePolicy } from "./health/state.ts";
import { type UpstreamMetrics, upstreamMetrics } from "./metrics.ts";
import { RetryBudget } from "./retry-budget.ts";

/** Metadata key/values a route asks its endpoints to carry (`subset`); frozen once per route. */
export type Subset = Readonly<Record<string, string>>;

/** What an upstream reports to and through: the generation's log and metrics. */
export interface UpstreamEnv {
  readonly log: Logger;
  readonly metrics: Metrics;
}

/** How a finished request or tunnel went, for passive health checks: "failed" is a connect that failed
 * or a connection that broke before any response; "aborted" (client gone, timeouts) counts for nothing. */
export type Outcome = "ok" | "failed" | "status_5xx" | "aborted";

const ALL: Subset = Object.freeze({});

export class Upstream {
  readonly name: string;
  readonly config: UpstreamConfig;
  /** Resolves once the first discovery answer (or failure) is in. */
  readonly ready: Promise<void>;
  #settled = false;
  #settle: () => void = () => {};
  #endpoints: readonly Endpoint[] = Object.freeze([]);
  #states: EndpointState[] = [];
  readonly #balancer: Balancer;
  readonly #passive: PassivePolicy;
  readonly #panic: boolean;
  readonly #activeEnabled: boolean;
  readonly #budget: RetryBudget;
  readonly #retryMethods: ReadonlySet<string>;
  readonly #log: Logger | undefined;
  readonly #metrics: UpstreamMetrics | undefined;
  readonly #source: Source;
  #loop: DiscoveryLoop | undefined;
  #checker: ActiveChecker | undefined;
  /** Snapshots per subset, dropped whenever the set or a verdict changes or an ejection ends. */
  #snapshots = new Map<Subset, Candidates>();
  #snapshotsExpire = Number.POSITIVE_INFINITY;
  #allDown = false;

  constructor(name: string, config: UpstreamConfig, env?: UpstreamEnv) {
    this.name = name;
    this.config = config;
    this.#balancer = balancers[config.balance]();
    const h = config.health;
    this.#activeEnabled = h.check === "tcp" || h.check === "http" || (h.check === undefined && !!h.http_path);
    this.#passive = { failures: h.passive_failures, ejectMs: h.eject_time, maxEjectMs: h.max_eject_time };
    this.#panic = h.panic;
    const b = config.retry_budget;
    this.#budget = new RetryBudget(b.ratio, b.window, b.min);
    this.#retryMethods = new Set(config.retry_methods);
    this.#log = env?.log;
    this.#metrics = env === undefined ? undefined : upstreamMetrics(env.metrics.registry);
    this.ready = new Promise((resolve) => {
      this.#settle = resolve;
    });
    this.#source = sourceFor(config);
    if (this.#source.fixed !== undefined) this.#publish(this.#source.fixed);
    else if (env !== undefined) this.#startDiscovery(env.log);
    if (this.#activeEnabled && env !== undefined) this.#startChecks();
  }

  /** The current discovered set, whatever the health of its endpoints. */
  get endpoints(): readonly Endpoint[] {
    return this.#endpoints;
  }

  /** Replaces the set (what discovery does; tests may too). */
  set endpoints(next: readonly Endpoint[]) {
    this.#publish(next);
  }

  /** Whether the first discovery answer is in: until then `pick` has nothing to choose from. */
  get settled(): boolean {
    return this.#settled;
  }

  /** Whether ring_hash needs a key hash from each request. */
  get hashes(): boolean {
    return this.config.balance === "ring_hash";
  }

  /**
   * The endpoint for the next connection or request: healthy, of the best priority that has one, in
   * `subset` (when given), not in `exclude` (those already tried). Undefined when none is left; in panic
   * mode an all-down set is used as if healthy.
   */
  pick(exclude?: ReadonlySet<Endpoint>, hash = 0, subset: Subset = ALL): Endpoint | undefined {
    return this.#balancer.pick(this.candidates(subset), hash, exclude);
  }

  /** The current snapshot for `subset`. */
  candidates(subset: Subset = ALL): Candidates {
    const now = performance.now();
    if (now >= this.#snapshotsExpire) this.#invalidate();
    let c = this.#snapshots.get(subset);
    if (c === undefined) {
      c = this.#build(subset, now);
      this.#snapshots.set(subset, c);
    }
    return c;
  }

  /** The live state of `e` (health, in-flight count). */
  stateOf(e: Endpoint): EndpointState {
    return endpointState(this.name, e.key, this.#startState());
  }

  /** A request or tunnel starts on `e`: counted in flight until `end`. */
  begin(e: Endpoint): EndpointState {
    const s = this.stateOf(e);
    s.inflight++;
    return s;
  }

  /** The request or tunnel begun with `begin` is over; `outcome` feeds passive health checks. */
  end(s: EndpointState, outcome: Outcome): void {
    s.inflight--;
    if (outcome === "ok") s.recordSuccess();
    else if (outcome === "failed" || (outcome === "status_5xx" && this.config.health.passive_5xx)) {
      const now = performance.now();
      if (s.recordFailure(this.#passive, now)) {
        const ms = Math.round(s.ejectedUntil - now);
        this.#log?.warn(
          { upstream: this.name, endpoint: s.key, eject_ms: ms, ejections: s.ejections },
          "upstream endpoint ejected by passive health checks",
        );
        this.#metrics?.healthChanges.inc({ upstream: this.name, state: "ejected" });
        this.#invalidate();
      }
    }
  }

  /** A first try of a request went out (for the retry budget). */
  countRequest(): void {
    this.#budget.request(performance.now());
  }

  /** Whether `method` may be sent again after it failed before any response byte (RFC 9110 §9.2.2). */
  retriesMethod(method: string): boolean {
    return this.#retryMethods.has(method);
  }

  /** Whether the retry budget allows one more retry now (counted when it does). */
  allowRetry(): boolean {
    const ok = this.#budget.tryRetry(performance.now());
    this.#metrics?.retries.inc({ upstream: this.name, outcome: ok ? "retried" : "denied" });
    return ok;
  }

  /** Stops discovery and health checks (the generation is gone). Requests in flight are not touched. */
  close(): void {
    this.#loop?.close();
    this.#source.cancel();
    this.#checker?.close();
    this.#loop = undefined;
    this.#checker = undefined;
  }

  #startState(): "healthy" | "unknown" {
    return this.#activeEnabled ? this.config.health.start : "healthy";
  }

  #startDiscovery(log: Logger): void {
    const loop = new DiscoveryLoop(
      this.name,
      this.#source.lookup,
      this.#source.timing,
      {
        publish: (endpoints) => {
          this.#metrics?.discoveryChanges.inc({ upstream: this.name });
          this.#publish(endpoints);
        },
        failed: (code) => {
          this.#metrics?.discoveryFailures.inc({ upstream: this.name, code });
          this.#markSettled();
        },
      },
      log,
    );
    this.#loop = loop;
    loop.start();
  }

  #startChecks(): void {
    const proxyVersion = this.config.proxy_protocol;
    this.#checker = new ActiveChecker(this.config.health, {
      // An endpoint that requires a PROXY header is checked with a LOCAL one, as HAProxy's checks are.
      preamble: proxyVersion === undefined ? undefined : localProxyHeader(proxyVersion),
      endpoints: () => this.#endpoints,
      stateOf: (e) => this.stateOf(e),
      changed: (e, s) => {
        // An endpoint that passes its active checks again is back: a passive ejection ends with it.
        if (s.active === "healthy") s.recordSuccess();
        this.#log?.[s.active === "healthy" ? "info" : "warn"](
          { upstream: this.name, endpoint: e.key, state: s.active },
          `upstream endpoint ${s.active === "healthy" ? "up" : "down"} by active health checks`,
        );
        this.#metrics?.healthChanges.inc({ upstream: this.name, state: s.active });
        this.#invalidate();
        // Every endpoint down: maybe the service moved. Ask discovery again now, not at the next TTL.
        if (this.candidates().endpoints.length === 0 || this.#allDown) this.#loop?.refreshNow();
      },
    });
    this.#checker.start();
  }

  #markSettled(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#settle();
  }

  #publish(next: readonly Endpoint[]): void {
    const previous = this.#endpoints;
    this.#endpoints = Object.freeze([...next]);
    this.#states = this.#endpoints.map((e) => this.stateOf(e));
    const keep = new Set(this.#endpoints.map((e) => e.key));
    for (const e of previous) {
      if (keep.has(e.key)) continue;
      forgetEndpoint(this.name, e.key);
      this.#metrics?.endpointHealthy.remove({ upstream: this.name, endpoint: e.key });
    }
    this.#metrics?.endpoints.set({ upstream: this.name }, this.#endpoints.length);
    this.#invalidate();
    this.#markSettled();
    // New endpoints get their first check now rather than an interval later.
    this.#checker?.round();
  }

  #invalidate(): void {
    this.#snapshots = new Map();
    this.#snapshotsExpire = Number.POSITIVE_INFINITY;
    this.#updateGauges();
  }

  #updateGauges(): void {
    const m = this.#metrics;
    if (m === undefined) return;
    const now = performance.now();
    for (let i = 0; i < this.#endpoints.length; i++) {
      const ok = this.#states[i]!.available(now) ? 1 : 0;
      m.endpointHealthy.set({ upstream: this.name, endpoint: this.#endpoints[i]!.key }, ok);
    }
  }

  #build(subset: Subset, now: number): Candidates {
    const all = this.#endpoints;
    const states = this.#states;
    const inSubset: number[] = [];
    for (let i = 0; i < all.length; i++) if (matches(all[i]!, subset)) inSubset.push(i);
    let best = Number.POSITIVE_INFINITY;
    for (const i of inSubset) {
      const s = states[i]!;
      if (s.ejectedUntil > now) this.#snapshotsExpire = Math.min(this.#snapshotsExpire, s.ejectedUntil);
      if (s.available(now)) best = Math.min(best, all[i]!.priority);
    }
    let chosen: number[];
    if (best !== Number.POSITIVE_INFINITY) {
      chosen = inSubset.filter((i) => states[i]!.available(now) && all[i]!.priority === best);
      if (subset === ALL) this.#allDown = false;
    } else {
      if (subset === ALL && all.length > 0 && !this.#allDown) {
        this.#allDown = true;
        this.#log?.error(
          { upstream: this.name, endpoints: all.length, panic: this.#panic },
          this.#panic
            ? "every upstream endpoint is down: panic mode, ignoring health"
            : "every upstream endpoint is down: answering 503",
        );
      }
      if (!this.#panic || inSubset.length === 0) return NO_CANDIDATES;
      // Panic: all of the best priority, healthy or not (a partly working cluster beats none).
      for (const i of inSubset) best = Math.min(best, all[i]!.priority);
      chosen = inSubset.filter((i) => all[i]!.priority === best);
    }
    return candidates(
      chosen.map((i) => all[i]!),
      chosen.map((i) => states[i]!),
    );
  }
}

function matches(e: Endpoint, subset: Subset): boolean {
  for (const key in subset) if (e.meta[key] !== subset[key]) return false;
  return true;
}
