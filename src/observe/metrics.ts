// The metrics registry of one process. Label values stay bounded: listener, route and upstream names
// come from the config, status is a class ("2xx"), never a raw path or client address.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "weir_" });
  const registers = [registry];
  return {
    registry,
    connectionsTotal: new Counter({
      name: "weir_connections_total",
      help: "Connections accepted, by listener.",
      labelNames: ["listener"] as const,
      registers,
    }),
    connectionsActive: new Gauge({
      name: "weir_connections_active",
      help: "Connections open now, by listener.",
      labelNames: ["listener"] as const,
      registers,
    }),
    connectionsRejected: new Counter({
      name: "weir_connections_rejected_total",
      help: "Connections closed on accept, by listener and reason (max_connections, ...).",
      labelNames: ["listener", "reason"] as const,
      registers,
    }),
    tunnelBytes: new Counter({
      name: "weir_tunnel_bytes_total",
      help: "Bytes carried by raw TCP tunnels, by listener and direction (in: from clients, out: to clients).",
      labelNames: ["listener", "direction"] as const,
      registers,
    }),
    tunnelsClosed: new Counter({
      name: "weir_tunnels_closed_total",
      help: "Raw TCP tunnels that ended, by listener and reason.",
      labelNames: ["listener", "reason"] as const,
      registers,
    }),
    upstreamConnectFailures: new Counter({
      name: "weir_upstream_connect_failures_total",
      help: "Connections to upstream endpoints that failed, by upstream and error code.",
      labelNames: ["upstream", "code"] as const,
      registers,
    }),
    httpRequests: new Counter({
      name: "weir_http_requests_total",
      help: "HTTP requests answered, by listener, route, upstream and status class.",
      labelNames: ["listener", "route", "upstream", "status"] as const,
      registers,
    }),
    httpDuration: new Histogram({
      name: "weir_http_request_duration_seconds",
      help: "Time from request head to the end of the response, by listener.",
      labelNames: ["listener"] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    httpErrors: new Counter({
      name: "weir_http_errors_total",
      help: "HTTP requests that failed (answered 4xx/5xx by weir, or cut), by listener and error code (src/http/errors.ts).",
      labelNames: ["listener", "code"] as const,
      registers,
    }),
    protocolErrors: new Counter({
      name: "weir_protocol_errors_total",
      help: "Malformed input from clients (bad HTTP, PROXY header, ClientHello), by listener and code.",
      labelNames: ["listener", "code"] as const,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
