// The supervisor's own metrics: what happens to the instance rather than to traffic. Its registry is
// combined with every worker's for /metrics and the OTLP push.
import { Counter, Gauge, Registry } from "prom-client";
import { logPushDropped } from "./metrics.ts";
import { registerRuntimeMetrics } from "./runtime-metrics.ts";

export function createSupervisorMetrics() {
  const registry = new Registry();
  const registers = [registry];
  const stopRuntime = registerRuntimeMetrics(registry, { worker: "supervisor", generation: "" });
  return {
    registry,
    stopRuntime,
    configReloads: new Counter({
      name: "weir_config_reloads_total",
      help: "Config reloads (SIGHUP, POST /reload), by result (success, invalid, failed).",
      labelNames: ["result"] as const,
      registers,
    }),
    configGeneration: new Gauge({
      name: "weir_config_generation",
      help: "The config generation serving now: 1 at start, +1 per successful reload.",
      registers,
    }),
    configLastReload: new Gauge({
      name: "weir_config_last_reload_timestamp_seconds",
      help: "When the config was last loaded successfully (start or reload), in seconds since the epoch.",
      registers,
    }),
    workerRestarts: new Counter({
      name: "weir_worker_restarts_total",
      help: "Workers that died while serving and were replaced.",
      registers,
    }),
    workers: new Gauge({
      name: "weir_workers",
      help: "Worker processes alive, by state (serving, draining).",
      labelNames: ["state"] as const,
      registers,
    }),
    logPushDropped: logPushDropped(registry),
    logPushSent: new Counter({
      name: "weir_log_push_sent_total",
      help: "Log lines a collector accepted, by target (otlp, syslog).",
      labelNames: ["target"] as const,
      registers,
    }),
    metricsPushes: new Counter({
      name: "weir_metrics_pushes_total",
      help: "OTLP metric pushes, by result (ok, failed, skipped: the previous one still ran).",
      labelNames: ["result"] as const,
      registers,
    }),
  };
}

export type SupervisorMetrics = ReturnType<typeof createSupervisorMetrics>;
