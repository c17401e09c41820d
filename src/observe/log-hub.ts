// Where the process log lines of the whole instance meet: the supervisor's own (teed from its output) and
// every worker's (forwarded over IPC). Each line goes into the ring (GET /logs, the live stream) and to
// the collectors (`[log] push`). A reload may change the ring size and the collectors; lines keep flowing.
import type { Config } from "../config/schema/index.ts";
import { type LogEntry, parseLogLine } from "./log-entry.ts";
import { type LogPushCounters, LogPusher } from "./log-push.ts";
import { LogRing } from "./log-ring.ts";

export class LogHub {
  #ring: LogRing;
  #pusher: LogPusher;
  readonly #counters: LogPushCounters;
  #pushConfig: string;

  constructor(config: Config, counters: LogPushCounters) {
    this.#counters = counters;
    this.#ring = new LogRing(config.log.recent);
    this.#pusher = new LogPusher(config.log.push, counters);
    this.#pushConfig = JSON.stringify(config.log.push);
  }

  get ring(): LogRing {
    return this.#ring;
  }

  /** One JSON line from any process of the instance. */
  acceptLine(line: string): void {
    const entry = parseLogLine(line);
    if (entry !== undefined) this.accept(entry);
  }

  accept(entry: LogEntry): void {
    this.#ring.push(entry);
    this.#pusher.push(entry);
  }

  /** A reloaded config: a new ring size keeps the newest lines; new collectors replace the old ones. */
  reconfigure(config: Config): void {
    if (config.log.recent !== this.#ring.capacity) {
      const old = this.#ring;
      const ring = new LogRing(config.log.recent);
      for (const e of old.recent(0, ring.capacity)) ring.push(e);
      this.#ring = ring;
      // Live streams follow the ring they subscribed to; they reconnect to see the new one.
    }
    const push = JSON.stringify(config.log.push);
    if (push !== this.#pushConfig) {
      const old = this.#pusher;
      this.#pusher = new LogPusher(config.log.push, this.#counters);
      this.#pushConfig = push;
      void old.close(1_000);
    }
  }

  close(timeoutMs: number): Promise<void> {
    return this.#pusher.close(timeoutMs);
  }
}

export type { LogEntry };
