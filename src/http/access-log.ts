// The logging phase's built-in users: one access log line per request (gen.accessLog, when enabled)
// and the request counter and duration histogram. Metric children are looked up once per route and
// status class, not per request.
import type { Counter } from "prom-client";
import type { Generation } from "../generation.ts";
import type { HttpFilter } from "./phases.ts";
import type { RequestContext } from "./request-context.ts";
import type { CompiledRoute } from "./routes.ts";

const STATUS_CLASSES = ["0xx", "1xx", "2xx", "3xx", "4xx", "5xx"] as const;
type CounterChild = ReturnType<Counter<"listener" | "route" | "upstream" | "status">["labels"]>;

export function accessLogFilter(gen: Generation, listener: string): HttpFilter {
  const log = gen.accessLog;
  const requests = gen.metrics.httpRequests;
  const duration = gen.metrics.httpDuration.labels(listener);
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
      counter(ctx.route, ctx.status).inc();
      duration.observe(ms / 1000);
      if (log === undefined) return;
      log.info({
        listener,
        client: ctx.conn.client,
        proto: ctx.httpVersion,
        method: ctx.method,
        host: ctx.authority,
        path: ctx.path,
        status: ctx.status,
        bytes: ctx.bytesSent,
        ms: Math.round(ms * 1000) / 1000,
        upstream: ctx.endpoint?.key,
        route: ctx.route?.label,
        error: ctx.error?.code,
        request_id: ctx.requestId,
      });
    },
  };
}
