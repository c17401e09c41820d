// The HTTP/1.0 and 1.1 front end: a node:http server that never listens; connections arrive through
// `server.emit("connection", socket)`. node:http's parser (llhttp, strict mode) refuses malformed heads:
// conflicting Content-Length and Transfer-Encoding, bad chunk sizes, bad header names (RFC 9112 §6.3);
// those end in 'clientError', answered here with 400, 408 or 431 and nothing forwarded.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { ListenerConfig } from "../config/schema/index.ts";
import { HttpError, type HttpErrorCode } from "./errors.ts";
import type { ProxyEngine } from "./proxy.ts";
import { type ConnectionState, RequestContext } from "./request-context.ts";
import { connectOverHttp1, SocketResponse, websocketUpgrade } from "./tunnels.ts";

const kConn = Symbol("weir.connection");
export type TaggedSocket = Socket & { [kConn]?: ConnectionState };

export function tagSocket(socket: Socket, conn: ConnectionState): void {
  (socket as TaggedSocket)[kConn] = conn;
}

/** How often node:http checks header and request timeouts; coarse on purpose (one timer per server). */
function checkingInterval(http: ListenerConfig["http"]): number {
  const shortest = Math.min(http.header_timeout, http.request_timeout || Number.POSITIVE_INFINITY);
  return Math.max(100, Math.min(1_000, Math.floor(shortest / 4)));
}

export function createHttp1Server(engine: ProxyEngine, http: ListenerConfig["http"]): Server {
  const server = createServer({
    maxHeaderSize: http.max_header_size,
    headersTimeout: http.header_timeout,
    requestTimeout: http.request_timeout,
    keepAliveTimeout: http.keepalive_timeout,
    connectionsCheckingInterval: checkingInterval(http),
    // weir answers these itself, to count and log them (headers.ts).
    requireHostHeader: false,
    joinDuplicateHeaders: false,
    // Only WebSocket upgrades leave the request path; "h2c" and others are handled as requests.
    shouldUpgradeCallback: isWebSocketUpgrade,
  });
  // After this many requests node:http answers with "Connection: close" (0: no limit).
  server.maxRequestsPerSocket = http.max_requests_per_connection;
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const conn = (req.socket as TaggedSocket)[kConn];
    if (conn === undefined) return void req.socket.destroy();
    engine.serve(new RequestContext(conn, req, res, false));
  });
  // Expect: 100-continue: the engine sends "100 Continue" once routing and limits let the request pass.
  server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => server.emit("request", req, res));
  server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const conn = (socket as TaggedSocket)[kConn];
    if (conn === undefined) return void socket.destroy();
    engine.serve(new RequestContext(conn, req, new SocketResponse(socket, head), false), websocketUpgrade);
  });
  server.on("connect", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const conn = (socket as TaggedSocket)[kConn];
    if (conn === undefined) return void socket.destroy();
    engine.serve(new RequestContext(conn, req, new SocketResponse(socket, head), false), connectOverHttp1);
  });
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => {
    const code = clientErrorCode(err);
    engine.gen.metrics.protocolErrors.labels(engine.listener, code).inc();
    engine.gen.log.debug({ listener: engine.listener, code, cause: err.code }, "bad HTTP/1 request");
    const conn = (socket as TaggedSocket)[kConn];
    // A bad body (chunk framing) of a request already being proxied: answer it through its response,
    // which aborts the upstream request and closes the connection.
    const current = conn?.current;
    if (current !== undefined && !current.finished && !current.res.headersSent && err.code !== "ECONNRESET") {
      engine.fail(current, new HttpError(code));
      return;
    }
    // Answer only between requests: mid-response the connection can only be cut.
    if (socket.writable && (conn === undefined || conn.inflight === 0) && err.code !== "ECONNRESET") {
      const e = new HttpError(code);
      const body = `${e.status} ${e.message}\n`;
      socket.end(
        `HTTP/1.1 ${e.status} ${statusText(e.status)}\r\nconnection: close\r\ncontent-type: text/plain\r\n` +
          `content-length: ${body.length}\r\n\r\n${body}`,
      );
    }
    socket.destroy();
  });
  // node:http starts its header/request timeout checks on 'listening'; this server never listens.
  server.emit("listening");
  return server;
}

function clientErrorCode(err: NodeJS.ErrnoException): HttpErrorCode {
  switch (err.code) {
    case "HPE_HEADER_OVERFLOW":
      return "HEADERS_TOO_LARGE";
    case "ERR_HTTP_REQUEST_TIMEOUT":
    case "ERR_HTTP_HEADERS_TIMEOUT":
      return "HEADER_TIMEOUT";
    default:
      return "BAD_REQUEST";
  }
}

function statusText(status: number): string {
  return status === 431
    ? "Request Header Fields Too Large"
    : status === 408
      ? "Request Timeout"
      : "Bad Request";
}

function isWebSocketUpgrade(req: IncomingMessage): boolean {
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 7 && raw[i]!.toLowerCase() === "upgrade") {
      return raw[i + 1]!.trim().toLowerCase() === "websocket";
    }
  }
  return false;
}
