// The upstream subsystem's metrics, registered once in each generation's registry. Label values are
// bounded by the config: upstream names, and endpoint keys that discovery found for those upstreams.
import { Counter, Gauge, type Registry } from "prom-client";

function create(registry: Registry) {
  const registers = [registry];
  return {
    endpointHealthy: new Gauge({
      name: "weir_upstream_endpoint_healthy",
      help: "1 when the endpoint may take traffic (active checks pass, not ejected by passive checks), else 0.",
      labelNames: ["upstream", "endpoint"] as const,
      registers,
    }),
    endpoints: new Gauge({
      name: "weir_upstream_endpoints",
      help: "Endpoints in the upstream's current discovered set.",
      labelNames: ["upstream"] as const,
      registers,
    }),
    discoveryFailures: new Counter({
      name: "weir_upstream_discovery_failures_total",
      help: "DNS lookups that failed (the last good endpoint set was kept), by upstream and code.",
      labelNames: ["upstream", "code"] as const,
      registers,
    }),
    discoveryChanges: new Counter({
      name: "weir_upstream_discovery_changes_total",
      help: "Times discovery published a changed endpoint set, by upstream.",
      labelNames: ["upstream"] as const,
      registers,
    }),
    healthChanges: new Counter({
      name: "weir_upstream_health_changes_total",
      help: "Endpoint health transitions, by upstream and new state (healthy, unhealthy, ejected).",
      labelNames: ["upstream", "state"] as const,
      registers,
    }),
    retries: new Counter({
      name: "weir_upstream_retries_total",
      help: 'Requests and tunnels sent to another endpoint after a failure, by upstream; outcome "denied" when the retry budget said no.',
      labelNames: ["upstream", "outcome"] as const,
      registers,
    }),
  };
}

export type UpstreamMetrics = ReturnType<typeof create>;

const byRegistry = new WeakMap<Registry, UpstreamMetrics>();

export function upstreamMetrics(registry: Registry): UpstreamMetrics {
  let m = byRegistry.get(registry);
  if (m === undefined) {
    m = create(registry);
    byRegistry.set(registry, m);
  }
  return m;
}
