// The most recent process log lines of the whole instance, in memory, for GET /logs and the live stream
// (server-sent events). Bounded: the oldest line goes when a new one comes and the ring is full.
import type { LogEntry } from "./log-entry.ts";

export type LogListener = (entry: LogEntry) => void;

export class LogRing {
  readonly capacity: number;
  readonly #items: (LogEntry | undefined)[];
  /** Index the next line is written to. */
  #next = 0;
  #size = 0;
  readonly #listeners = new Set<LogListener>();

  constructor(capacity: number) {
    this.capacity = Math.max(0, Math.floor(capacity));
    this.#items = new Array(this.capacity).fill(undefined);
  }

  push(entry: LogEntry): void {
    if (this.capacity > 0) {
      this.#items[this.#next] = entry;
      this.#next = (this.#next + 1) % this.capacity;
      if (this.#size < this.capacity) this.#size++;
    }
    for (const listener of this.#listeners) {
      try {
        listener(entry);
      } catch {
        // A listener is an admin client's stream; its failure is its own (the stream closes itself).
      }
    }
  }

  /** Up to `limit` most recent lines at `minLevel` or above, oldest first. */
  recent(minLevel: number, limit: number): LogEntry[] {
    const out: LogEntry[] = [];
    for (let i = 1; i <= this.#size && out.length < limit; i++) {
      const entry = this.#items[(this.#next - i + this.capacity) % this.capacity] as LogEntry;
      if (entry.level >= minLevel) out.push(entry);
    }
    return out.reverse();
  }

  get size(): number {
    return this.#size;
  }

  /** Calls `listener` with every new line until the returned function is called. */
  subscribe(listener: LogListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
