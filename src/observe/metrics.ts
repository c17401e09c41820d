// The metrics registry of one process. Label values stay bounded: listener, route and upstream names
// come from the config, status is a class ("2xx"), never a raw path or client address.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** Seconds: a millisecond to ten seconds, for requests, connects and first bytes alike. */
const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Log lines that never reached their destination: a collector down or slow (target "otlp", "syslog"),
 * or a worker's lines on their way to the supervisor (target "supervisor"). The same definition in every
 * process, so that the supervisor's sum over all of them is one counter.
 */
export function logPushDropped(registry: Registry) {
  return new Counter({
    name: "weir_log_push_dropped_total",
    help: "Log lines dropped instead of sent, by target (otlp, syslog, supervisor) and reason (queue_full, send_failed).",
    labelNames: ["target", "reason"] as const,
    registers: [registry],
  });
}

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
      help: "Time from request head to the end of the response, by listener and route.",
      labelNames: ["listener", "route"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    upstreamConnectDuration: new Histogram({
      name: "weir_upstream_connect_duration_seconds",
      help: "Time to get a connection to an endpoint (HTTP: from dispatch until a pooled or new connection carries the request; TCP: the connect), by upstream.",
      labelNames: ["upstream"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    upstreamResponseDuration: new Histogram({
      name: "weir_upstream_response_duration_seconds",
      help: "Time from dispatching a request to an endpoint until its response head arrived (time to first byte), by upstream.",
      labelNames: ["upstream"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    bytes: new Counter({
      name: "weir_bytes_total",
      help: "Bytes on client connections as the socket counted them (TLS records included), by listener and direction (in: from clients, out: to clients); counted when a connection closes.",
      labelNames: ["listener", "direction"] as const,
      registers,
    }),
    detections: new Counter({
      name: "weir_detections_total",
      help: '"auto" listeners: what the first bytes of each connection were (http1, http2, tls, other, timeout, closed), by listener.',
      labelNames: ["listener", "result"] as const,
      registers,
    }),
    filterRejections: new Counter({
      name: "weir_filter_rejections_total",
      help: "Requests a filter answered itself (rate limits, access rules, ...) instead of the upstream, by listener, filter and status.",
      labelNames: ["listener", "filter", "status"] as const,
      registers,
    }),
    logPushDropped: logPushDropped(registry),
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
