// Process log lines to collectors (`[log] push`): OTLP/HTTP logs and syslog, each behind its own bounded
// batch queue, so a slow or dead collector costs dropped lines (weir_log_push_dropped_total) and at most
// `queue` lines of memory per collector, and never delays the process that logs.
import type { Counter } from "prom-client";
import type { Config } from "../config/schema/index.ts";
import type { LogEntry } from "./log-entry.ts";
import { BatchQueue } from "./push/batch-queue.ts";
import { otlpEndpoint, postOtlp } from "./push/otlp-http.ts";
import { encodeLogs } from "./push/otlp-logs.ts";
import { formatSyslog, type SyslogTransport, syslogTransport } from "./push/syslog.ts";

export interface LogPushCounters {
  dropped: Counter<"target" | "reason">;
  sent: Counter<"target">;
}

export class LogPusher {
  readonly #queues: BatchQueue<LogEntry>[] = [];
  readonly #transports: SyslogTransport[] = [];

  constructor(push: Config["log"]["push"], counters: LogPushCounters) {
    const common = (target: string) => ({
      max: push.queue,
      batch: push.batch,
      intervalMs: push.interval,
      onDrop: (n: number, reason: "queue_full" | "send_failed") =>
        counters.dropped.inc({ target, reason }, n),
      onSent: (n: number) => counters.sent.inc({ target }, n),
    });
    if (push.otlp !== undefined) {
      const url = otlpEndpoint(push.otlp, "logs");
      this.#queues.push(
        new BatchQueue<LogEntry>({
          ...common("otlp"),
          send: (entries) => postOtlp(url, encodeLogs(entries), push.otlp_headers, push.timeout),
        }),
      );
    }
    if (push.syslog !== undefined) {
      const transport = syslogTransport(push.syslog, push.timeout);
      this.#transports.push(transport);
      const format = { facility: push.facility };
      this.#queues.push(
        new BatchQueue<LogEntry>({
          ...common("syslog"),
          send: (entries) => transport.send(entries.map((e) => formatSyslog(e, format))),
        }),
      );
    }
  }

  get enabled(): boolean {
    return this.#queues.length > 0;
  }

  push(entry: LogEntry): void {
    for (const q of this.#queues) q.push(entry);
  }

  /** Sends what waits, for at most `timeoutMs`, then closes the connections. */
  async close(timeoutMs: number): Promise<void> {
    await Promise.all(this.#queues.map((q) => q.close(timeoutMs)));
    for (const t of this.#transports) t.close();
  }
}
