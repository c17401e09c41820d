// `[metrics] push`: every `interval`, the metrics of the whole instance (the same combined registry that
// /metrics serves) go to an OTLP/HTTP collector. One push at a time: a push still running when the next is
// due makes that one skip, so a slow collector costs skipped pushes, never a pile of them.
import type { Counter } from "prom-client";
import type { Config } from "../config/schema/index.ts";
import { otlpEndpoint, postOtlp } from "./push/otlp-http.ts";
import { encodeMetrics, type PromMetricJson } from "./push/otlp-metrics.ts";

export class MetricsPusher {
  readonly #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(
    push: Config["metrics"]["push"],
    collect: () => Promise<PromMetricJson[]>,
    pushes: Counter<"result">,
    startedAt: number,
  ) {
    if (push.otlp === undefined) return;
    const url = otlpEndpoint(push.otlp, "metrics");
    const once = async () => {
      if (this.#running) {
        pushes.inc({ result: "skipped" });
        return;
      }
      this.#running = true;
      try {
        const body = encodeMetrics(await collect(), startedAt, Date.now());
        await postOtlp(url, body, push.otlp_headers, push.timeout);
        pushes.inc({ result: "ok" });
      } catch {
        pushes.inc({ result: "failed" });
      } finally {
        this.#running = false;
      }
    };
    this.#timer = setInterval(() => void once(), push.interval);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
  }
}
