// weir's HTTP/1.0 and 1.1 front end: each accepted connection (plain or decrypted TLS) becomes an
// H1Connection that parses requests itself (request-parser.ts) and writes responses itself
// (response.ts). It replaces node:http, whose per-request objects, stream machinery and parser callbacks
// were most of weir's CPU per request above the bytes' own cost, behind TLS most of all.
//
// Timeouts are one coarse sweep per listener (as node:http's connectionsCheckingInterval) instead of a
// timer per connection: header_timeout for a head that has begun, request_timeout for a body,
// keepalive_timeout between requests, and a grace for connections weir has ended.
import type { Socket } from "node:net";
import type { ListenerConfig } from "../../config/schema/index.ts";
import type { ProxyEngine } from "../proxy.ts";
import type { ConnectionState } from "../request-context.ts";
import { type ConnectionOwner, H1Connection, Phase } from "./connection.ts";

/** How long a connection weir has ended may wait for the client's FIN before it is destroyed. */
const CLOSING_GRACE_MS = 5_000;

export interface Http1Server {
  /** Serves a connection; `first` are bytes already read from it (protocol detection). */
  handle(socket: Socket, state: ConnectionState, first: Buffer | undefined): void;
  /** Ends every connection that is between requests (graceful drain). */
  closeIdle(): void;
  /** Stops the sweep; connections left are the caller's to destroy. */
  close(): void;
}

/** How often the sweep runs: coarse on purpose, a quarter of the shortest timeout within [100 ms, 1 s]. */
function sweepInterval(http: ListenerConfig["http"]): number {
  const limits = [http.header_timeout, http.request_timeout, http.keepalive_timeout].filter((t) => t > 0);
  const shortest = Math.min(...limits, CLOSING_GRACE_MS);
  return Math.max(100, Math.min(1_000, Math.floor(shortest / 4)));
}

export function createHttp1Server(engine: ProxyEngine, http: ListenerConfig["http"]): Http1Server {
  const connections = new Set<H1Connection>();
  const keepAliveS = Math.floor(http.keepalive_timeout / 1000);
  const owner: ConnectionOwner = {
    engine,
    maxHeadSize: http.max_header_size,
    maxRequests: http.max_requests_per_connection,
    // As node:http did: clients that read the hint (undici, browsers) stop reusing before weir closes.
    keepAliveLines:
      keepAliveS > 0
        ? `connection: keep-alive\r\nkeep-alive: timeout=${keepAliveS}\r\n`
        : "connection: keep-alive\r\n",
    forget: (conn) => connections.delete(conn),
  };

  const sweep = (): void => {
    const now = performance.now();
    for (const conn of connections) {
      try {
        check(conn, now - conn.since);
      } catch (err) {
        // A timer callback must not throw: that would end the worker, not just this connection.
        engine.gen.log.error({ listener: engine.listener, err }, "HTTP/1 timeout handling failed");
        conn.socket.destroy();
      }
    }
  };
  const check = (conn: H1Connection, waited: number): void => {
    switch (conn.phase) {
      case Phase.Idle:
        if (conn.inHead && http.header_timeout > 0 && waited > http.header_timeout) conn.headTimedOut();
        else if (!conn.inHead && http.keepalive_timeout > 0 && waited > http.keepalive_timeout) conn.close();
        break;
      case Phase.Head:
        if (http.header_timeout > 0 && waited > http.header_timeout) conn.headTimedOut();
        break;
      case Phase.Body:
        if (http.request_timeout > 0 && waited > http.request_timeout) conn.requestTimedOut();
        break;
      case Phase.Closing:
        if (waited > CLOSING_GRACE_MS) conn.socket.destroy();
        break;
    }
  };
  const timer = setInterval(sweep, sweepInterval(http));
  timer.unref();

  return {
    handle(socket, state, first) {
      const conn = new H1Connection(owner, socket, state);
      connections.add(conn);
      conn.start(first);
    },
    closeIdle() {
      for (const conn of connections) if (conn.phase === Phase.Idle && !conn.inHead) conn.close();
    },
    close() {
      clearInterval(timer);
    },
  };
}
