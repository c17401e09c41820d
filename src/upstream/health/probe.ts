// One active health probe of one endpoint: a TCP connect, or an HTTP/1.1 request whose status must fall
// in the expected range. Resolves true or false, never rejects; `timeoutMs` bounds the whole probe.
// `preamble` is written first on the connection: for an upstream with `proxy_protocol`, a PROXY header
// with the LOCAL command (v1 "UNKNOWN"), since an endpoint that requires the header closes connections
// without one and would otherwise fail every check (proxy-protocol.txt §2.2: LOCAL is for health checks).
import { request } from "node:http";
import { connect, type Socket } from "node:net";
import type { Endpoint } from "../endpoint.ts";

export interface HttpProbe {
  readonly method: string;
  readonly path: string;
  /** Host header; the endpoint's "host:port" when undefined. */
  readonly host: string | undefined;
  readonly statusLow: number;
  readonly statusHigh: number;
}

/** A connection to `e` that begins with `preamble` (queued before any other write). */
function open(e: Endpoint, preamble: Buffer | undefined): Socket {
  const socket = connect({ host: e.host, port: e.port });
  if (preamble !== undefined) socket.write(preamble);
  return socket;
}

export function probeTcp(e: Endpoint, timeoutMs: number, preamble?: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = open(e, preamble);
    let settled = false;
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    // With a preamble, the probe ends once it has left, so the endpoint sees a LOCAL connection closed
    // cleanly rather than an aborted one; the connect alone is what is checked.
    socket.once("connect", () => (preamble === undefined ? done(true) : socket.end(() => done(true))));
    socket.once("error", () => done(false));
  });
}

export function probeHttp(e: Endpoint, p: HttpProbe, timeoutMs: number, preamble?: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(ok);
    };
    const req = request({
      host: e.host,
      port: e.port,
      method: p.method,
      path: p.path,
      headers: { host: p.host ?? e.key, "user-agent": "weir-health-check", connection: "close" },
      // A connection of its own, never pooled (node:http ignores createConnection with `agent: false`).
      createConnection: () => open(e, preamble),
    });
    const timer = setTimeout(() => done(false), timeoutMs);
    req.once("response", (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      done(status >= p.statusLow && status <= p.statusHigh);
    });
    req.once("error", () => done(false));
    req.end();
  });
}
