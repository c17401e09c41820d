// The logging phase's built-in users: one access log line per request (gen.accessLog, when enabled)
// and the request counter and duration histograms. Metric series are resolved once per route, status
// class and upstream (src/observe/access-log-metrics.ts: no label lookups per request).
import type { Generation } from "../generation.ts";
import { destinationKey } from "../listener/transparent-tunnel.ts";
import {
  type CounterCell,
  counterCell,
  type HistogramCell,
  histogramCell,
} from "../observe/access-log-metrics.ts";
import { jsonString } from "../observe/access-log-writer.ts";
import { type AccessLogPolicy, accessLogPolicy } from "../observe/access-redact.ts";
import type { HttpFilter } from "./phases.ts";
import type { RequestContext } from "./request-context.ts";
import type { CompiledRoute } from "./routes.ts";

const STATUS_CLASSES = ["0xx", "1xx", "2xx", "3xx", "4xx", "5xx"] as const;

/** A route's series: the duration histogram and the request counter by status class (index = status / 100). */
interface RouteCells {
  duration: HistogramCell;
  byClass: (CounterCell | undefined)[];
}

/** An upstream's series: connect time and time to first byte. */
interface UpstreamCells {
  connect: HistogramCell;
  firstByte: HistogramCell;
}

/** Milliseconds with microsecond precision, for the log line. */
function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

export function accessLogFilter(gen: Generation, listener: string): HttpFilter {
  const log = gen.accessLog;
  const requests = gen.metrics.httpRequests;
  const byRoute = new Map<CompiledRoute | undefined, RouteCells>();
  const byUpstream = new Map<string, UpstreamCells>();
  // Sampling and redaction (`[access_log]` headers, redact_headers, redact_query, sample).
  const policy = accessLogPolicy(gen.config);
  const countRequests = gen.config.metrics.requests;
  const listenerMember = `,"listener":${jsonString(listener)}`;

  function routeCells(route: CompiledRoute | undefined): RouteCells {
    let cells = byRoute.get(route);
    if (cells === undefined) {
      cells = {
        duration: histogramCell(gen.metrics.httpDuration, [listener, route?.label ?? ""]),
        byClass: [],
      };
      byRoute.set(route, cells);
    }
    return cells;
  }

  function counter(route: CompiledRoute | undefined, status: number): CounterCell {
    const byClass = routeCells(route).byClass;
    const cls = status >= 100 && status < 600 ? Math.floor(status / 100) : 0;
    let cell = byClass[cls];
    if (cell === undefined) {
      const upstream = route?.upstream?.name ?? "";
      cell = counterCell(requests, [listener, route?.label ?? "", upstream, STATUS_CLASSES[cls]!]);
      byClass[cls] = cell;
    }
    return cell;
  }

  function upstreamCells(upstream: string): UpstreamCells {
    let cells = byUpstream.get(upstream);
    if (cells === undefined) {
      const m = gen.metrics;
      cells = {
        connect: histogramCell(m.upstreamConnectDuration, [upstream]),
        firstByte: histogramCell(m.upstreamResponseDuration, [upstream]),
      };
      byUpstream.set(upstream, cells);
    }
    return cells;
  }

  return {
    name: "access-log",
    logging(ctx: RequestContext) {
      const ms = performance.now() - ctx.startedAt;
      if (countRequests) {
        counter(ctx.route, ctx.status).inc();
        routeCells(ctx.route).duration.observe(ms / 1000);
      }
      const upstream = countRequests ? ctx.upstream?.name : undefined;
      if (upstream !== undefined) {
        const cells = upstreamCells(upstream);
        if (ctx.upstreamConnectMs >= 0) cells.connect.observe(ctx.upstreamConnectMs / 1000);
        if (ctx.upstreamHeaderMs >= 0) cells.firstByte.observe(ctx.upstreamHeaderMs / 1000);
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
