// GET /logs: recent process log lines of the whole instance from the ring, filtered by level and limited
// in number; GET /logs/stream (or /logs with Accept: text/event-stream): new lines as server-sent events
// (HTML Living Standard §9.2), one `data:` line per log line. A stream whose client reads too slowly is
// closed rather than buffered without bound.
import type { IncomingMessage, ServerResponse } from "node:http";
import { levelValue } from "./log-entry.ts";
import type { LogRing } from "./log-ring.ts";

const DEFAULT_LIMIT = 200;
/** Bytes an event stream may have waiting for a slow client before it is closed. */
const MAX_STREAM_BACKLOG = 1 << 20;
const KEEPALIVE_MS = 15_000;

export interface LogQuery {
  minLevel: number;
  limit: number;
}

/** Reads `level` and `limit`; a string describing what is wrong when they are invalid. */
export function parseLogQuery(params: URLSearchParams, capacity: number): LogQuery | string {
  const levelName = params.get("level") ?? "trace";
  const minLevel = levelValue(levelName);
  if (minLevel === undefined) return `unknown level "${levelName}" (trace, debug, info, warn, error, fatal)`;
  const limitText = params.get("limit");
  const limit = limitText === null ? DEFAULT_LIMIT : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1) return `limit must be a positive integer, not "${limitText}"`;
  return { minLevel, limit: Math.min(limit, Math.max(1, capacity)) };
}

export function serveRecentLogs(res: ServerResponse, ring: LogRing, query: LogQuery): void {
  const lines = ring.recent(query.minLevel, query.limit).map((e) => e.record);
  const body = JSON.stringify({ capacity: ring.capacity, lines });
  res.writeHead(200, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
  });
  res.end(body);
}

export function wantsEventStream(req: IncomingMessage): boolean {
  return (req.headers.accept ?? "").includes("text/event-stream");
}

export function streamLogs(req: IncomingMessage, res: ServerResponse, ring: LogRing, query: LogQuery): void {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store",
    connection: "keep-alive",
  });
  // The `limit` most recent lines first, so a client that connects sees context, then the live ones.
  for (const e of ring.recent(query.minLevel, query.limit)) res.write(`data: ${e.line}\n\n`);
  const unsubscribe = ring.subscribe((e) => {
    if (e.level < query.minLevel) return;
    if (res.writableLength > MAX_STREAM_BACKLOG) {
      close();
      return;
    }
    res.write(`data: ${e.line}\n\n`);
  });
  const keepalive = setInterval(() => res.write(": keepalive\n\n"), KEEPALIVE_MS);
  keepalive.unref();
  const close = () => {
    unsubscribe();
    clearInterval(keepalive);
    res.destroy();
  };
  req.socket.once("close", close);
  res.once("close", close);
}
