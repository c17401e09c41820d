// A worker's process log lines on their way to the supervisor (the ring, the collectors): batched every
// FLUSH_MS, at most MAX_PENDING lines waiting; when the IPC channel is busy or gone, further lines are
// dropped and counted (weir_log_push_dropped_total{target="supervisor"}). The worker's own output gets
// every line regardless: this is a copy.
import type { Counter } from "prom-client";

const FLUSH_MS = 100;
const MAX_PENDING = 2_000;

export class LogForwarder {
  readonly #send: (lines: string[], done: () => void) => boolean;
  readonly #dropped: Counter<"target" | "reason">;
  #pending: string[] = [];
  #timer: NodeJS.Timeout | undefined;
  #busy = false;

  /** `send` hands a batch to the IPC channel and calls `done` once it is written; false if it could not. */
  constructor(send: (lines: string[], done: () => void) => boolean, dropped: Counter<"target" | "reason">) {
    this.#send = send;
    this.#dropped = dropped;
  }

  line(text: string): void {
    if (this.#pending.length >= MAX_PENDING) {
      this.#dropped.inc({ target: "supervisor", reason: "queue_full" });
      return;
    }
    this.#pending.push(text.endsWith("\n") ? text.slice(0, -1) : text);
    if (this.#timer === undefined && !this.#busy) {
      this.#timer = setTimeout(() => this.flush(), FLUSH_MS);
      this.#timer.unref();
    }
  }

  /** Sends what is pending now (also before the worker exits). */
  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#busy || this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    this.#busy = true;
    const ok = this.#send(batch, () => {
      this.#busy = false;
      if (this.#pending.length > 0) this.flush();
    });
    if (!ok) {
      this.#busy = false;
      this.#dropped.inc({ target: "supervisor", reason: "send_failed" }, batch.length);
    }
  }
}
