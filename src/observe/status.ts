// GET /status: what the instance is and does, as JSON, built by the supervisor from its own state and
// the combined metrics of every worker (so that one answer covers the whole instance): version, uptime,
// config generation, workers, listeners with their connections, routes, upstreams with each endpoint's
// health and pool, certificates with their expiry.

import { VERSION } from "../cli/version.ts";
import type { Config } from "../config/schema/index.ts";
import { type CertificateInfo, describeCertificates } from "./certificates.ts";
import type { PromMetricJson } from "./push/otlp-metrics.ts";

export interface WorkerInfo {
  worker: number;
  generation: number;
  pid: number | undefined;
  state: "serving" | "starting" | "draining";
}

export interface StatusInput {
  config: Config;
  generation: number;
  startedAt: number;
  state: string;
  workers: readonly WorkerInfo[];
  /** The combined registry of the instance, as prom-client JSON. */
  metrics: readonly PromMetricJson[];
  /** Last reload: when and how it ended. */
  lastReload?: { at: string; ok: boolean; error?: string } | undefined;
}

/** Values of one metric as label set → value, for lookups. */
export function metricValues(metrics: readonly PromMetricJson[], name: string): PromMetricJson["values"] {
  return metrics.find((m) => m.name === name)?.values ?? [];
}

function sumWhere(values: PromMetricJson["values"], match: Record<string, string>): number {
  let sum = 0;
  for (const v of values) {
    if (v.metricName?.endsWith("_bucket")) continue;
    if (Object.entries(match).every(([k, x]) => String(v.labels[k]) === x)) sum += v.value;
  }
  return sum;
}

/**
 * Endpoint health as the workers see it (weir_upstream_endpoint_healthy, combined with "min" by the supervisor: down if any
 * worker finds it down). Undefined when no worker reported it (no HTTP/TCP traffic code loaded it yet).
 */
export function endpointHealth(
  metrics: readonly PromMetricJson[],
): Map<string, Map<string, { up: boolean; state: string }>> {
  const out = new Map<string, Map<string, { up: boolean; state: string }>>();
  for (const v of metricValues(metrics, "weir_upstream_endpoint_healthy")) {
    const upstream = String(v.labels.upstream);
    let m = out.get(upstream);
    if (m === undefined) {
      m = new Map();
      out.set(upstream, m);
    }
    m.set(String(v.labels.endpoint), { up: v.value >= 1, state: v.value >= 1 ? "up" : "down" });
  }
  return out;
}

export function buildStatus(input: StatusInput): unknown {
  const { config, metrics } = input;
  const active = metricValues(metrics, "weir_connections_active");
  const total = metricValues(metrics, "weir_connections_total");
  const pool = metricValues(metrics, "weir_upstream_pool_connections");
  const requests = metricValues(metrics, "weir_http_requests_total");
  const health = endpointHealth(metrics);
  const memory = metricValues(metrics, "weir_memory_bytes");
  const delay = metricValues(metrics, "weir_event_loop_delay_seconds");
  const now = Date.now();
  return {
    version: VERSION,
    pid: process.pid,
    started_at: new Date(input.startedAt).toISOString(),
    uptime_seconds: Math.round((now - input.startedAt) / 1000),
    state: input.state,
    generation: input.generation,
    last_reload: input.lastReload,
    workers: input.workers.map((w) => {
      const who = { worker: String(w.worker), generation: String(w.generation) };
      return {
        ...w,
        rss_bytes: sumWhere(memory, { ...who, kind: "rss" }),
        heap_used_bytes: sumWhere(memory, { ...who, kind: "heap_used" }),
        event_loop_delay_p99_seconds: sumWhere(delay, { ...who, stat: "p99" }),
      };
    }),
    listeners: Object.entries(config.listeners).map(([name, l]) => ({
      name,
      address: l.address,
      protocol: l.protocol,
      upstream: l.upstream,
      tls: (l as { tls?: unknown }).tls !== undefined,
      connections_active: sumWhere(active, { listener: name }),
      connections_total: sumWhere(total, { listener: name }),
    })),
    routes: config.routes.map((r, i) => {
      const label = r.name ?? `#${i}`;
      return {
        name: label,
        listeners: r.listeners,
        host: r.host,
        path_prefix: r.path_prefix,
        methods: r.methods,
        upstream: r.upstream,
        respond: r.respond?.status,
        requests_total: sumWhere(requests, { route: label }),
      };
    }),
    upstreams: Object.entries(config.upstreams).map(([name, u]) => {
      const seen = health.get(name);
      const keys = new Set([...((u as { endpoints?: string[] }).endpoints ?? []), ...(seen?.keys() ?? [])]);
      return {
        name,
        balance: u.balance,
        endpoints: [...keys].map((key) => {
          const h = seen?.get(key);
          return {
            address: key,
            state: h?.state ?? "unknown",
            healthy: h === undefined ? null : h.up,
            pool_in_use: sumWhere(pool, { upstream: name, endpoint: key, state: "in_use" }),
            pool_idle: sumWhere(pool, { upstream: name, endpoint: key, state: "idle" }),
          };
        }),
      };
    }),
    certificates: [...describeCertificates(config, now), ...acmeCertificates(metrics, now)],
  };
}

/** Certificates the supervisor obtained over ACME, from weir_acme_certificate_expiry_timestamp_seconds. */
function acmeCertificates(metrics: readonly PromMetricJson[], now: number): CertificateInfo[] {
  return metricValues(metrics, "weir_acme_certificate_expiry_timestamp_seconds").map((v) => {
    const notAfter = v.value * 1000;
    return {
      where: `acme.certificates ${String(v.labels.certificate)}`,
      file: "",
      not_after: new Date(notAfter).toISOString(),
      days_left: Math.floor((notAfter - now) / 86_400_000),
    };
  });
}
