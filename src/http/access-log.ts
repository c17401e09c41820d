// The logging phase's built-in users: one access log line per request (gen.accessLog, when enabled)
// and the request counter and duration histogram. Metric children are looked up once per route and
// status class, not per request.
import type { Counter, Histogram } from "prom-client";
import type { Generation } from "../generation.ts";
import { destinationKey } from "../listener/transparent-tunnel.ts";
import { jsonString } from "../observe/access-log-writer.ts";
import { type AccessLogPolicy, accessLogPolicy } from "../observe/access-redact.ts";
import type { HttpFilter } from "./phases.ts";
import type { RequestContext } from "./request-context.ts";
import type { CompiledRoute } from "./routes.ts";

const STATUS_CLASSES = ["0xx", "1xx", "2xx", "3xx", "4xx", "5xx"] as const;
type CounterChild = ReturnType<Counter<"listener" | "route" | "upstream" | "status">["labels"]>;
type HistogramChild = ReturnType<Histogram<string>["labels"]>;

/** Milliseconds with microsecond precision, for the log line. */
function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

export function accessLogFilter(gen: Generation, listener: string): HttpFilter {
  const log = gen.accessLog;
  const requests = gen.metrics.httpRequests;
  const durations = new Map<CompiledRoute | undefined, HistogramChild>();
  const connectTimes = new Map<string, HistogramChild>();
  const firstBytes = new Map<string, HistogramChild>();
  // Sampling and redaction (`[access_log]` headers, redact_headers, redact_query, sample).
  const policy = accessLogPolicy(gen.config);
  const countRequests = gen.config.metrics.requests;
  const listenerMember = `,"listener":${jsonString(listener)}`;

  function duration(route: CompiledRoute | undefined): HistogramChild {
    let child = durations.get(route);
    if (child === undefined) {
      child = gen.metrics.httpDuration.labels(listener, route?.label ?? "");
      durations.set(route, child);
    }
    return child;
  }

  function byUpstream(
    cache: Map<string, HistogramChild>,
    histogram: Histogram<"upstream">,
    upstream: string,
  ): HistogramChild {
    let child = cache.get(upstream);
    if (child === undefined) {
      child = histogram.labels(upstream);
      cache.set(upstream, child);
    }
    return child;
  }
  const children = new Map<CompiledRoute | undefined, (CounterChild | undefined)[]>();

  function counter(route: CompiledRoute | undefined, status: number): CounterChild {
    let byClass = children.get(route);
    if (byClass === undefined) {
      byClass = [];
      children.set(route, byClass);
    }
    const cls = status >= 100 && status < 600 ? Math.floor(status / 100) : 0;
    let child = byClass[cls];
    if (child === undefined) {
      const upstream = route?.upstream?.name ?? "";
      child = requests.labels(listener, route?.label ?? "", upstream, STATUS_CLASSES[cls]!);
      byClass[cls] = child;
    }
    return child;
  }

  return {
    name: "access-log",
    logging(ctx: RequestContext) {
      const ms = performance.now() - ctx.startedAt;
      if (countRequests) {
        counter(ctx.route, ctx.status).inc();
        duration(ctx.route).observe(ms / 1000);
      }
      const upstream = countRequests ? ctx.upstream?.name : undefined;
      if (upstream !== undefined) {
        const m = gen.metrics;
        if (ctx.upstreamConnectMs >= 0)
          byUpstream(connectTimes, m.upstreamConnectDuration, upstream).observe(ctx.upstreamConnectMs / 1000);
        if (ctx.upstreamHeaderMs >= 0)
          byUpstream(firstBytes, m.upstreamResponseDuration, upstream).observe(ctx.upstreamHeaderMs / 1000);
      }
      if (log === undefined || !policy.keep(ctx.status, ctx.error !== undefined)) return;
      log.infoJson(httpLine(listenerMember, ctx, ms, policy));
    },
  };
}

/**
 * One request's access log fields as JSON members, built by concatenation (no object, no generic
 * serializer: this runs once per request). Names and order are the line's contract; fields without a
 * value are left out. Redaction applies here, through `policy`, before anything reaches the writer.
 */
function httpLine(listenerMember: string, ctx: RequestContext, ms: number, policy: AccessLogPolicy): string {
  let s =
    `${listenerMember},"client":${jsonString(ctx.client)},"proto":${jsonString(ctx.httpVersion)}` +
    `,"method":${jsonString(ctx.method)},"host":${jsonString(ctx.authority)}` +
    `,"path":${jsonString(policy.path(ctx.path))},"status":${ctx.status}`;
  if (ctx.contentLength >= 0) s += `,"bytes_in":${ctx.contentLength}`;
  s += `,"bytes":${ctx.bytesSent},"ms":${roundMs(ms)}`;
  if (ctx.upstreamConnectMs >= 0) s += `,"connect_ms":${roundMs(ctx.upstreamConnectMs)}`;
  if (ctx.upstreamHeaderMs >= 0) s += `,"ttfb_ms":${roundMs(ctx.upstreamHeaderMs)}`;
  const endpoint = ctx.endpoint?.key;
  if (endpoint !== undefined) s += `,"upstream":${jsonString(endpoint)}`;
  const route = ctx.route?.label;
  if (route !== undefined) s += `,"route":${jsonString(route)}`;
  // Transparent listeners: where the client meant to go.
  if (ctx.conn.ctx.originalDst !== undefined)
    s += `,"original_dst":${jsonString(destinationKey(ctx.conn.ctx))}`;
  const headers = policy.headers(ctx.req.rawHeaders);
  if (headers !== undefined) s += `,"headers":${JSON.stringify(headers)}`;
  const error = ctx.error?.code;
  if (error !== undefined) s += `,"error":${jsonString(error)}`;
  if (ctx.requestId !== undefined) s += `,"request_id":${jsonString(ctx.requestId)}`;
  return s;
}
