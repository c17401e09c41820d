// One active health probe of one endpoint: a TCP connect, or an HTTP/1.1 request whose status must fall
// in the expected range. Resolves true or false, never rejects; `timeoutMs` bounds the whole probe.
import { request } from "node:http";
import { connect } from "node:net";
import type { Endpoint } from "../endpoint.ts";

export interface HttpProbe {
  readonly method: string;
  readonly path: string;
  /** Host header; the endpoint's "host:port" when undefined. */
  readonly host: string | undefined;
  readonly statusLow: number;
  readonly statusHigh: number;
}

export function probeTcp(e: Endpoint, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: e.host, port: e.port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

export function probeHttp(e: Endpoint, p: HttpProbe, timeoutMs: number): Promise<boolean> {
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
      agent: false,
      headers: { host: p.host ?? e.key, "user-agent": "weir-health-check", connection: "close" },
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
