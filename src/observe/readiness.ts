// GET /readyz: ready when the config is loaded, every listener is bound and served by ready workers, and
// every upstream that traffic can reach (a route's, or a tcp/auto listener's) has at least one healthy
// endpoint as the workers' health state says (weir_upstream_endpoint_healthy). An upstream no worker has
// reported on yet counts as not ready only while health data exists for none of its endpoints and the
// upstream has active health checks; without checks, its endpoints are taken as they are configured.
import type { Config } from "../config/schema/index.ts";
import type { ReadyCheck, ReadyReport } from "./admin.ts";
import type { PromMetricJson } from "./push/otlp-metrics.ts";
import { endpointHealth } from "./status.ts";

export interface ReadinessInput {
  /** The supervisor's state: only "serving" and "reloading" serve traffic. */
  state: string;
  config: Config;
  /** Listener names whose sockets are bound. */
  bound: ReadonlySet<string>;
  /** Every worker of the serving generation said ready. */
  workersReady: boolean;
  metrics: readonly PromMetricJson[];
}

/** Upstreams that routes or listeners send traffic to. */
export function routedUpstreams(config: Config): string[] {
  const names = new Set<string>();
  for (const r of config.routes) if (r.upstream !== undefined) names.add(r.upstream);
  for (const l of Object.values(config.listeners)) if (l.upstream !== undefined) names.add(l.upstream);
  return [...names];
}

export function readiness(input: ReadinessInput): ReadyReport {
  const checks: ReadyCheck[] = [];
  const serving = input.state === "serving" || input.state === "reloading";
  checks.push({ name: "config", ok: serving, detail: serving ? "loaded" : input.state });
  const unbound = Object.keys(input.config.listeners).filter((n) => !input.bound.has(n));
  checks.push({
    name: "listeners",
    ok: unbound.length === 0 && input.workersReady,
    detail:
      unbound.length > 0
        ? `not bound: ${unbound.join(", ")}`
        : input.workersReady
          ? "bound and served"
          : "workers not ready",
  });
  const health = endpointHealth(input.metrics);
  for (const name of routedUpstreams(input.config)) {
    const seen = health.get(name);
    const checked = activelyChecked(input.config.upstreams[name]);
    if (seen === undefined || seen.size === 0) {
      checks.push({
        name: `upstream ${name}`,
        ok: !checked,
        detail: checked ? "no health state yet" : "not health-checked",
      });
      continue;
    }
    const healthy = [...seen.values()].filter((h) => h.up).length;
    checks.push({
      name: `upstream ${name}`,
      ok: healthy > 0,
      detail: `${healthy}/${seen.size} endpoints healthy`,
    });
  }
  return { ready: checks.every((c) => c.ok), checks };
}

/** Whether the upstream has active health checks (see schema/health.ts: "http" when http_path is set). */
function activelyChecked(upstream: unknown): boolean {
  const h = (upstream as { health?: { check?: string; http_path?: string } } | undefined)?.health;
  if (h === undefined) return false;
  return h.check === "tcp" || h.check === "http" || (h.check === undefined && h.http_path !== undefined);
}
