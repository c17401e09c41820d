// The HTTP/2 cleartext front end (prior knowledge, RFC 9113 §3.3): a node:http2 server that never
// listens; connections arrive through `server.emit("connection", socket)`. nghttp2 enforces the framing
// and header rules (malformed requests are reset, RFC 9113 §8.1.1). The compat request/response pair is
// what the shared engine speaks.
import {
  createServer,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type Http2Session,
} from "node:http2";
import type { ListenerConfig } from "../config/schema/index.ts";
import type { ProxyEngine } from "./proxy.ts";
import { type ConnectionState, RequestContext } from "./request-context.ts";
import { connectOverHttp2 } from "./tunnels.ts";

const kConn = Symbol("weir.connection");
type TaggedSession = Http2Session & { [kConn]?: ConnectionState };

export function tagSession(session: Http2Session, conn: ConnectionState): void {
  (session as TaggedSession)[kConn] = conn;
}

export function createHttp2Server(
  engine: ProxyEngine,
  http: ListenerConfig["http"],
  onSession: (session: Http2Session) => void,
): Http2Server {
  const server = createServer({
    maxSendHeaderBlockLength: http.max_header_size,
    settings: { maxHeaderListSize: http.max_header_size, enableConnectProtocol: false },
  });
  const onRequest = (req: Http2ServerRequest, res: Http2ServerResponse): void => {
    const conn = (req.stream.session as TaggedSession | undefined)?.[kConn];
    if (conn === undefined) return void req.stream.close();
    const ctx = new RequestContext(conn, req, res, true);
    if (req.stream.endAfterHeaders) ctx.noBody = true;
    engine.serve(ctx, ctx.method === "CONNECT" ? connectOverHttp2 : undefined);
  };
  server.on("request", onRequest);
  server.on("checkContinue", onRequest);
  server.on("session", onSession);
  // An idle session (no stream for keepalive_timeout) is closed gracefully (GOAWAY).
  server.setTimeout(http.keepalive_timeout, (session?: Http2Session) => session?.close());
  return server;
}
