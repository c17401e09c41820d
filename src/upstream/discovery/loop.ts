// The refresh loop of one discovery source: asks, publishes what changed, and asks again when the answer
// expires. A failed lookup keeps the last good set (logged, counted, retried soon); an empty answer
// replaces a non-empty set only after empty answers kept coming for `emptyGraceMs`, because a DNS
// server that briefly answers nothing (a zone reload, a flapping registry) must not empty the cluster.
import type { Logger } from "../../observe/log.ts";
import type { Endpoint } from "../endpoint.ts";
import type { Answer } from "./dns.ts";

export interface LoopTiming {
  /** Floor and cap on the time an answer is used. */
  readonly minTtlMs: number;
  readonly maxTtlMs: number;
  /** A fixed interval instead of the answer's TTL (and the interval when an answer has none). */
  readonly refreshMs: number | undefined;
  readonly emptyGraceMs: number;
}

export interface LoopHooks {
  /** A new set: its endpoints differ from the last one's (keys, weights, priorities or metadata). */
  publish(endpoints: readonly Endpoint[]): void;
  /** A lookup failed; the last good set stays. */
  failed(code: string): void;
}

/** Interval for answers without a TTL when no `refresh` is configured. */
export const DEFAULT_REFRESH_MS = 30_000;

export class DiscoveryLoop {
  readonly #upstream: string;
  readonly #lookup: () => Promise<Answer>;
  readonly #timing: LoopTiming;
  readonly #hooks: LoopHooks;
  readonly #log: Logger;
  #current: readonly Endpoint[] | undefined;
  #signature = "";
  #emptySince = 0;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #lastRun = 0;
  #closed = false;

  constructor(
    upstream: string,
    lookup: () => Promise<Answer>,
    timing: LoopTiming,
    hooks: LoopHooks,
    log: Logger,
  ) {
    this.#upstream = upstream;
    this.#lookup = lookup;
    this.#timing = timing;
    this.#hooks = hooks;
    this.#log = log;
  }

  start(): void {
    void this.#run();
  }

  /** Ask again now (every endpoint is down: maybe they moved), unless an answer is younger than min_ttl. */
  refreshNow(): void {
    if (this.#closed || this.#running) return;
    if (performance.now() - this.#lastRun < this.#timing.minTtlMs) return;
    clearTimeout(this.#timer);
    void this.#run();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  async #run(): Promise<void> {
    if (this.#closed) return;
    this.#running = true;
    this.#lastRun = performance.now();
    let nextMs: number;
    try {
      const answer = await this.#lookup();
      nextMs = this.#accept(answer);
    } catch (err) {
      const code = (err as { code?: string }).code ?? "ERROR";
      this.#hooks.failed(code);
      this.#log.warn(
        { upstream: this.#upstream, code, kept: this.#current?.length ?? 0 },
        `service discovery failed, keeping the last good endpoints: ${(err as Error).message}`,
      );
      nextMs = this.#retryMs();
    }
    this.#running = false;
    if (this.#closed) return;
    this.#timer = setTimeout(() => void this.#run(), nextMs);
    this.#timer.unref();
  }

  #accept(answer: Answer): number {
    const t = this.#timing;
    const ttl = t.refreshMs ?? answer.ttlMs ?? DEFAULT_REFRESH_MS;
    const nextMs = Math.min(t.maxTtlMs, Math.max(t.minTtlMs, ttl));
    if (answer.endpoints.length === 0 && this.#current !== undefined && this.#current.length > 0) {
      const now = performance.now();
      if (this.#emptySince === 0) this.#emptySince = now;
      if (now - this.#emptySince < t.emptyGraceMs) {
        this.#log.warn(
          { upstream: this.#upstream, kept: this.#current.length },
          "service discovery answered no endpoints; keeping the last ones for the grace period",
        );
        return Math.min(nextMs, this.#retryMs(), Math.max(1, t.emptyGraceMs - (now - this.#emptySince)));
      }
    } else this.#emptySince = 0;
    this.#set(answer.endpoints);
    return nextMs;
  }

  #retryMs(): number {
    return Math.min(this.#timing.maxTtlMs, Math.max(this.#timing.minTtlMs, 1_000), 5_000);
  }

  #set(endpoints: readonly Endpoint[]): void {
    const signature = endpoints.map(describe).sort().join("\n");
    if (this.#current !== undefined && signature === this.#signature) return;
    const before = new Set(this.#current?.map((e) => e.key));
    const after = new Set(endpoints.map((e) => e.key));
    const added = [...after].filter((k) => !before.has(k));
    const removed = [...before].filter((k) => !after.has(k));
    this.#current = endpoints;
    this.#signature = signature;
    this.#log.info(
      { upstream: this.#upstream, endpoints: endpoints.length, added, removed },
      "upstream endpoints changed",
    );
    this.#hooks.publish(endpoints);
  }
}

function describe(e: Endpoint): string {
  return `${e.key} ${e.weight} ${e.priority} ${JSON.stringify(e.meta)}`;
}
