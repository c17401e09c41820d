// The HTTP/2 cleartext front end (prior knowledge, RFC 9113 §3.3): a node:http2 server that never
// listens; connections arrive through `server.emit("connection", socket)`. nghttp2 enforces the framing
// and header rules (malformed requests are reset, RFC 9113 §8.1.1). Requests are taken on the stream API
// and handed to the shared engine as H2Request/H2Response (h2-exchange.ts); with no 'request' listener,
// node:http2 never builds its compat objects.
import {
  createServer,
  type Http2Server,
  type Http2Session,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
} from "node:http2";
import type { ListenerConfig } from "../config/schema/index.ts";
import { H2Request, H2Response } from "./h2-exchange.ts";
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
  server.on(
    "stream",
    (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, _flags: number, raw: string[]) => {
      const conn = (stream.session as TaggedSession | undefined)?.[kConn];
      if (conn === undefined) return void stream.close();
      const ctx = new RequestContext(conn, new H2Request(headers, raw), new H2Response(stream), true, stream);
      if (stream.endAfterHeaders) {
        ctx.noBody = true;
        // The readable side is already over: let it end, so the stream closes once the response is sent.
        stream.resume();
      }
      engine.serve(ctx, ctx.method === "CONNECT" ? connectOverHttp2 : undefined);
    },
  );
  server.on("session", onSession);
  // An idle session (no stream for keepalive_timeout) is closed gracefully (GOAWAY).
  server.setTimeout(http.keepalive_timeout, (session?: Http2Session) => session?.close());
  return server;
}
