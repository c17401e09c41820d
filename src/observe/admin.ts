// The admin API on its own listener: /healthz (alive), /readyz (serving), /metrics (Prometheus text).
import { createServer, type Server } from "node:http";
import type { Logger } from "./log.ts";

export interface AdminSources {
  /** Prometheus text of the whole instance (all workers combined). */
  metrics(): Promise<{ contentType: string; body: string }>;
  /** True once every listener is bound and serving. */
  ready(): boolean;
}

export function startAdmin(address: string, sources: AdminSources, log: Logger): Promise<Server> {
  const server = createServer(async (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    try {
      if (path === "/healthz") return text(res, 200, "ok\n");
      if (path === "/readyz")
        return sources.ready() ? text(res, 200, "ready\n") : text(res, 503, "not ready\n");
      if (path === "/metrics") {
        const { contentType, body } = await sources.metrics();
        res.writeHead(200, { "content-type": contentType });
        return res.end(body);
      }
      text(res, 404, "not found\n");
    } catch (err) {
      log.error({ err, path }, "admin request failed");
      text(res, 500, "internal error\n");
    }
  });
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

function text(res: import("node:http").ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}
