// Token buckets kept in this process: one per key, `burst` tokens at most, refilled at `rate` per
// millisecond. The map is bounded: past `maxBuckets` the least recently used bucket is dropped (a Map
// iterates in insertion order, and every use re-inserts), so a client spraying addresses or header
// values costs at most `maxBuckets` small objects. A dropped bucket comes back full, which only errs
// towards letting a forgotten client through.

interface Bucket {
  tokens: number;
  /** performance.now() of the last refill. */
  at: number;
}

export class LocalBuckets {
  readonly #buckets = new Map<string, Bucket>();
  readonly #ratePerMs: number;
  readonly #burst: number;
  readonly #max: number;
  /** The most recently used bucket: using it again needs no re-insertion (the common case of one client
   * sending many requests, and of `take` right after `wait`). */
  #newest: Bucket | undefined;

  constructor(ratePerSecond: number, burst: number, maxBuckets: number) {
    this.#ratePerMs = ratePerSecond / 1000;
    this.#burst = burst;
    this.#max = maxBuckets;
  }

  get size(): number {
    return this.#buckets.size;
  }

  /** Milliseconds until `key` has a whole token (0: it has one now). Refills, takes nothing. */
  wait(key: string, now: number): number {
    const b = this.#refill(key, now);
    return b.tokens >= 1 ? 0 : (1 - b.tokens) / this.#ratePerMs;
  }

  /** Takes one token from `key` (refilled by `wait` in the same tick); it may go below zero (delay). */
  take(key: string, now: number): void {
    this.#refill(key, now).tokens -= 1;
  }

  /**
   * `wait` then `take` in one step, for a request that only this limit decides: takes a token from
   * `key` unless it would wait longer than `maxWaitMs` for it. Returns the wait either way (0: it had one).
   */
  admit(key: string, now: number, maxWaitMs: number): number {
    const b = this.#refill(key, now);
    const wait = b.tokens >= 1 ? 0 : (1 - b.tokens) / this.#ratePerMs;
    if (wait <= maxWaitMs) b.tokens -= 1;
    return wait;
  }

  #refill(key: string, now: number): Bucket {
    const buckets = this.#buckets;
    let b = buckets.get(key);
    if (b === undefined) {
      b = { tokens: this.#burst, at: now };
      if (buckets.size >= this.#max) buckets.delete(buckets.keys().next().value as string);
      buckets.set(key, b);
      this.#newest = b;
      return b;
    }
    const elapsed = now - b.at;
    if (elapsed > 0) {
      b.tokens = Math.min(this.#burst, b.tokens + elapsed * this.#ratePerMs);
      b.at = now;
    }
    if (b !== this.#newest) {
      buckets.delete(key);
      buckets.set(key, b);
      this.#newest = b;
    }
    return b;
  }
}
