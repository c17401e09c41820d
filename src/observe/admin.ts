// The admin API on its own listener (loopback by default):
//   GET  /healthz       alive (always 200 while the process answers)
//   GET  /readyz        200 when ready to serve (see ReadyReport), else 503 with the failed checks
//   GET  /metrics       Prometheus text of the whole instance (every worker combined)
//   GET  /logs          recent process log lines (?level=warn&limit=200); /logs/stream as server-sent events
//   GET  /status        JSON: version, uptime, generation, workers, listeners, routes, upstreams, certificates
//   GET  /config        the effective config as JSON, secrets redacted
//   POST /reload        reload the config (as SIGHUP), answered with the outcome
//   GET  /              the dashboard (dashboard/index.html and its script and style)
// With `admin.token`, everything but /healthz, /readyz and the dashboard's static files needs
// `Authorization: Bearer <token>`; the dashboard page itself asks for the token and sends it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { tokenCheck } from "./admin-auth.ts";
import { parseLogQuery, serveRecentLogs, streamLogs, wantsEventStream } from "./admin-logs.ts";
import { dashboardAsset } from "./dashboard-assets.ts";
import type { Logger } from "./log.ts";
import type { LogRing } from "./log-ring.ts";

export interface ReadyCheck {
  name: string;
  ok: boolean;
  detail?: string;
}

export interface ReadyReport {
  ready: boolean;
  checks: ReadyCheck[];
}

export interface ReloadOutcome {
  ok: boolean;
  generation: number;
  /** Why the reload did not happen (invalid config, failed workers, already stopping). */
  error?: string;
  problems?: string[];
}

export interface AdminSources {
  /** Prometheus text of the whole instance (all workers combined). */
  metrics(): Promise<{ contentType: string; body: string }>;
  /** Listeners bound, config loaded, a healthy endpoint per upstream that routes use. */
  ready(): ReadyReport | Promise<ReadyReport>;
  /** The ring of recent process log lines; undefined when there is none. */
  logs?(): LogRing | undefined;
  status?(): unknown | Promise<unknown>;
  /** The effective config, secrets already redacted. */
  config?(): unknown;
  reload?(): Promise<ReloadOutcome>;
}

export interface AdminOptions {
  /** Bearer token; undefined for none. */
  token?: string | undefined;
}

/** Paths answered without the token: probes and the dashboard's static files (no data in them). */
const PUBLIC = new Set(["/healthz", "/readyz", "/", "/index.html", "/dashboard.js", "/dashboard.css"]);

export function startAdmin(
  address: string,
  sources: AdminSources,
  log: Logger,
  opts: AdminOptions = {},
): Promise<Server> {
  const authorized = tokenCheck(opts.token);
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://admin");
    const path = url.pathname;
    try {
      if (!PUBLIC.has(path) && !authorized(req)) {
        res.setHeader("www-authenticate", 'Bearer realm="weir admin"');
        return json(res, 401, { error: "a bearer token is required" });
      }
      await route(req, res, path, url.searchParams, sources);
    } catch (err) {
      log.error({ err, path }, "admin request failed");
      if (!res.headersSent) json(res, 500, { error: "internal error" });
      else res.destroy();
    }
  });
  server.on("clientError", (_err, socket) => socket.destroy());
  const colon = address.lastIndexOf(":");
  const host = address.slice(0, colon).replace(/^\[|\]$/g, "");
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port: Number(address.slice(colon + 1)) }, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}

async function route(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  params: URLSearchParams,
  sources: AdminSources,
): Promise<void> {
  if (path === "/reload") {
    if (req.method !== "POST") return methodNotAllowed(res, "POST");
    if (sources.reload === undefined) return json(res, 501, { error: "reload is not available here" });
    const outcome = await sources.reload();
    return json(res, outcome.ok ? 200 : 409, outcome);
  }
  if (req.method !== "GET" && req.method !== "HEAD") return methodNotAllowed(res, "GET, HEAD");
  switch (path) {
    case "/healthz":
      return text(res, 200, "ok\n");
    case "/readyz": {
      const report = await sources.ready();
      return json(res, report.ready ? 200 : 503, report);
    }
    case "/metrics": {
      const { contentType, body } = await sources.metrics();
      res.writeHead(200, { "content-type": contentType, "cache-control": "no-store" });
      return void res.end(body);
    }
    case "/logs":
    case "/logs/stream": {
      const ring = sources.logs?.();
      if (ring === undefined) return json(res, 404, { error: "no log ring in this process" });
      const query = parseLogQuery(params, ring.capacity);
      if (typeof query === "string") return json(res, 400, { error: query });
      if (path === "/logs/stream" || wantsEventStream(req)) return streamLogs(req, res, ring, query);
      return serveRecentLogs(res, ring, query);
    }
    case "/status":
      if (sources.status === undefined) return json(res, 404, { error: "no status here" });
      return json(res, 200, await sources.status());
    case "/config":
      if (sources.config === undefined) return json(res, 404, { error: "no config here" });
      return json(res, 200, sources.config());
  }
  const asset = dashboardAsset(path);
  if (asset !== undefined) {
    res.writeHead(200, {
      "content-type": asset.contentType,
      "content-length": asset.body.length,
      "cache-control": "no-cache",
      // Everything the page needs comes from this origin: no CDN, no inline script.
      "content-security-policy":
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'",
      "x-content-type-options": "nosniff",
    });
    return void res.end(req.method === "HEAD" ? undefined : asset.body);
  }
  json(res, 404, { error: `no such path: ${path}` });
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  res.setHeader("allow", allow);
  json(res, 405, { error: `method not allowed; use ${allow}` });
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const body = `${JSON.stringify(value, null, 2)}\n`;
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
  });
  res.end(body);
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}
