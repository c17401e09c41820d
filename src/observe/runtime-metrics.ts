// Event-loop delay and memory of one process, labelled with which process it is, so that the supervisor's
// sum over all workers keeps one series per worker (worker "1", "2", ... of a generation; "supervisor").
// The delay is sampled by perf_hooks' histogram and read as of the last full window, so that two readers
// (a scrape and a push) see the same numbers instead of resetting each other's.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Gauge, type Registry } from "prom-client";

const WINDOW_MS = 5_000;
const NS = 1e9;

export interface ProcessLabels {
  /** "1", "2", ... or "supervisor". */
  worker: string;
  /** The config generation the worker serves; "" for the supervisor. */
  generation: string;
}

/** Registers the gauges and starts sampling; the returned function stops it. */
export function registerRuntimeMetrics(registry: Registry, who: ProcessLabels): () => void {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  let last = { mean: 0, p50: 0, p99: 0, max: 0 };
  const roll = () => {
    if (histogram.count > 0) {
      last = {
        mean: histogram.mean / NS,
        p50: histogram.percentile(50) / NS,
        p99: histogram.percentile(99) / NS,
        max: histogram.max / NS,
      };
    }
    histogram.reset();
  };
  const timer = setInterval(roll, WINDOW_MS);
  timer.unref();
  new Gauge({
    name: "weir_event_loop_delay_seconds",
    help: `Event-loop delay of each process over the last ${WINDOW_MS / 1000} s, by worker, generation and stat (mean, p50, p99, max).`,
    labelNames: ["worker", "generation", "stat"] as const,
    registers: [registry],
    collect() {
      if (last.max === 0 && histogram.count > 0) roll(); // the first window is not over yet
      for (const stat of ["mean", "p50", "p99", "max"] as const) this.set({ ...who, stat }, last[stat]);
    },
  });
  new Gauge({
    name: "weir_memory_bytes",
    help: "Memory of each process, by worker, generation and kind (rss, heap_used, heap_total, external).",
    labelNames: ["worker", "generation", "kind"] as const,
    registers: [registry],
    collect() {
      const m = process.memoryUsage();
      this.set({ ...who, kind: "rss" }, m.rss);
      this.set({ ...who, kind: "heap_used" }, m.heapUsed);
      this.set({ ...who, kind: "heap_total" }, m.heapTotal);
      this.set({ ...who, kind: "external" }, m.external);
    },
  });
  return () => {
    clearInterval(timer);
    histogram.disable();
  };
}
