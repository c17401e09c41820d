// A retry budget (as Finagle and Envoy bound retries): retries may add at most `ratio` extra requests
// over a sliding window, plus `min` per window so that a quiet upstream still retries. Without it, an
// overloaded cluster that fails requests gets up to (1 + retries)× the load exactly when it can least
// take it. Counted in two half-window buckets: cheap, and never more than half a window stale.

export class RetryBudget {
  readonly #ratio: number;
  readonly #min: number;
  readonly #halfMs: number;
  #bucketStart = 0;
  #requests = 0;
  #retries = 0;
  #prevRequests = 0;
  #prevRetries = 0;

  constructor(ratio: number, windowMs: number, min: number) {
    this.#ratio = ratio;
    this.#min = min;
    this.#halfMs = Math.max(1, windowMs / 2);
  }

  #roll(now: number): void {
    const elapsed = now - this.#bucketStart;
    if (elapsed < this.#halfMs) return;
    if (elapsed < 2 * this.#halfMs) {
      this.#prevRequests = this.#requests;
      this.#prevRetries = this.#retries;
    } else {
      this.#prevRequests = 0;
      this.#prevRetries = 0;
    }
    this.#requests = 0;
    this.#retries = 0;
    this.#bucketStart = now;
  }

  /** A first try went out. */
  request(now: number): void {
    this.#roll(now);
    this.#requests++;
  }

  /** Whether one more retry fits; if so it is counted. */
  tryRetry(now: number): boolean {
    this.#roll(now);
    const retries = this.#retries + this.#prevRetries;
    const allowed = Math.max(this.#min, this.#ratio * (this.#requests + this.#prevRequests));
    if (retries >= allowed) return false;
    this.#retries++;
    return true;
  }
}
