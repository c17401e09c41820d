// A bounded queue that sends its items in batches, one batch in flight at a time, and never blocks the
// caller: `push` only appends (or drops, when the queue is full). A batch whose send fails or times out is
// dropped too. Every dropped item is reported through `onDrop`, so that a collector that is down costs a
// counter and at most `max` items of memory, never a growing backlog.

export interface BatchQueueOptions<T> {
  /** Most items waiting; further ones are dropped. */
  max: number;
  /** Most items in one send. */
  batch: number;
  /** Longest time an item waits before a send starts. */
  intervalMs: number;
  /** Sends one batch; a rejection drops it. Must settle (give it its own timeout). */
  send(items: T[]): Promise<void>;
  /** `count` items were dropped: "queue_full" or "send_failed". */
  onDrop(count: number, reason: "queue_full" | "send_failed"): void;
  /** `count` items were sent. */
  onSent?(count: number): void;
}

export class BatchQueue<T> {
  readonly #opts: BatchQueueOptions<T>;
  #items: T[] = [];
  #inFlight: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(opts: BatchQueueOptions<T>) {
    this.#opts = opts;
  }

  get length(): number {
    return this.#items.length;
  }

  push(item: T): void {
    if (this.#closed) return;
    if (this.#items.length >= this.#opts.max) {
      this.#opts.onDrop(1, "queue_full");
      return;
    }
    this.#items.push(item);
    if (this.#items.length >= this.#opts.batch) this.#flushSoon(0);
    else this.#flushSoon(this.#opts.intervalMs);
  }

  #flushSoon(delayMs: number): void {
    if (this.#inFlight !== undefined) return; // the running send schedules the next one
    if (this.#timer !== undefined) {
      if (delayMs > 0) return;
      clearTimeout(this.#timer);
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#sendOne();
    }, delayMs);
    this.#timer.unref();
  }

  #sendOne(): void {
    if (this.#items.length === 0 || this.#inFlight !== undefined) return;
    const batch = this.#items.splice(0, this.#opts.batch);
    let sending: Promise<void>;
    try {
      sending = this.#opts.send(batch);
    } catch (err) {
      sending = Promise.reject(err);
    }
    this.#inFlight = sending.then(
      () => this.#opts.onSent?.(batch.length),
      () => this.#opts.onDrop(batch.length, "send_failed"),
    );
    void this.#inFlight.then(() => {
      this.#inFlight = undefined;
      if (this.#items.length >= this.#opts.batch || (this.#closed && this.#items.length > 0)) this.#sendOne();
      else if (this.#items.length > 0) this.#flushSoon(this.#opts.intervalMs);
    });
  }

  /** Sends what waits (one last try each batch, at most `timeoutMs` in all), then accepts nothing more. */
  async close(timeoutMs: number): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const deadline = Date.now() + timeoutMs;
    this.#sendOne();
    while ((this.#inFlight !== undefined || this.#items.length > 0) && Date.now() < deadline) {
      await Promise.race([this.#inFlight, new Promise((r) => setTimeout(r, 20))]);
      if (this.#inFlight === undefined) this.#sendOne();
    }
    if (this.#items.length > 0) {
      this.#opts.onDrop(this.#items.length, "send_failed");
      this.#items = [];
    }
  }
}
