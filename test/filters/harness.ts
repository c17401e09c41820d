// Shared setup of the filter suites: weir's real listeners (handshake steps, connection filters, the HTTP
// engine) on port 0 in this process, configs that end at one origin or tunnel to an echo server, origins
// and auth services on port 0, a plain HTTP/1.1 client that can choose its source address (127.0.0.2,
// ::1) the way a second client machine would, and a raw client that speaks through a PROXY header the
// way a load balancer would.
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { connect } from "node:net";
import type { TestContext } from "node:test";
import { loadConfig } from "../../src/config/load.ts";
import { type Generation, provision } from "../../src/generation.ts";
import { Listener } from "../../src/listener/listener.ts";
import { buildProxyHeaderV1, buildProxyHeaderV2 } from "../../src/protocol/proxy-header/index.ts";
import { config } from "../http/harness.ts";
import { echoServer, listen, portOf } from "../lib/net.ts";

export { config, echo, type Origin, requireProgram, type SeenRequest, startOrigin } from "../http/harness.ts";

/** The parts of a config that differ between tests whose traffic ends at one origin. */
export interface OriginRouteParts {
  /** Address of listener "web"; default 127.0.0.1:0. */
  address?: string;
  /** Lines of listener "web" after its address: its keys, then its `[[listeners.web.filters]]` tables. */
  listener?: string;
  /** `[[routes]]` tables matched before the catch-all route. */
  routes?: string;
  /** `[[routes.filters]]` tables of the catch-all route. */
  filters?: string;
  /** Further `[upstreams.*]` tables, for the routes in `routes`. */
  upstreams?: string;
}

/**
 * A whole config (quiet logs, see `config`): listener "web", then `parts.routes`, then the catch-all
 * route "/" to upstream "origin" (with `parts.filters`), "origin" as 127.0.0.1:`originPort`, then
 * `parts.upstreams`.
 */
export function originConfig(originPort: number, parts: OriginRouteParts = {}): string {
  return config(`
[listeners.web]
address = "${parts.address ?? "127.0.0.1:0"}"
${parts.listener ?? ""}
${parts.routes ?? ""}
[[routes]]
path_prefix = "/"
upstream = "origin"
${parts.filters ?? ""}
[upstreams.origin]
endpoints = ["127.0.0.1:${originPort}"]
${parts.upstreams ?? ""}
`);
}

/**
 * Starts an echo server (closed after the test) and weir with raw TCP listener "tcp" tunnelling to it;
 * `listener` holds that listener's further lines (its keys, then its `[[listeners.tcp.filters]]` tables).
 */
export async function startEchoTunnel(t: TestContext, listener: string): Promise<Weir> {
  const echo = await listen(echoServer());
  t.after(() => echo.close());
  return startWeir(
    t,
    config(`
[listeners.tcp]
address = "127.0.0.1:0"
protocol = "tcp"
upstream = "echo"
${listener}
[upstreams.echo]
endpoints = ["127.0.0.1:${portOf(echo)}"]
`),
  );
}

export interface Weir {
  gen: Generation;
  /** Port of each listener, by name. */
  ports: Record<string, number>;
  port: number;
}

/**
 * Loads `toml` (as the text of a file in `dir`, default: the repo root, for relative module paths),
 * provisions it and starts each listener on `host`, port 0. Stopped after the test.
 */
export async function startWeir(t: TestContext, toml: string, host = "127.0.0.1"): Promise<Weir> {
  const loaded = loadConfig({ text: toml });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const gen = provision(loaded.config);
  const ports: Record<string, number> = {};
  const listeners: Listener[] = [];
  t.after(() => Promise.all(listeners.map((l) => l.close(200))));
  for (const [name, config] of Object.entries(loaded.config.listeners)) {
    const listener = await Listener.create(name, config, gen);
    listeners.push(listener);
    await listener.listen({ host, port: 0 });
    ports[name] = (listener.server.address() as { port: number }).port;
  }
  return { gen, ports, port: Object.values(ports)[0]! };
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Source address of the connection (e.g. "127.0.0.2"). */
  localAddress?: string;
  host?: string;
  /** Send the body chunked (no Content-Length). */
  chunked?: boolean;
}

/** One request on a fresh connection; the raw path is sent as written (no client-side normalisation). */
export function send(port: number, path: string, opts: RequestOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.body !== undefined && !opts.chunked)
      headers["content-length"] = String(Buffer.byteLength(opts.body));
    const req = httpRequest(
      {
        host: opts.host ?? "127.0.0.1",
        port,
        path,
        method: opts.method ?? "GET",
        headers,
        agent: false,
        localAddress: opts.localAddress,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    if (opts.body !== undefined) req.end(opts.body);
    else req.end();
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A PROXY header (v1 or v2) from `source`, port 40000, to a destination of the same family, port 443. */
export function proxyHeader(version: 1 | 2, source: string): Buffer {
  const destination = source.includes(":") ? "2001:db8::ffff" : "192.0.2.255";
  const h = {
    command: "proxy" as const,
    source: { address: source, port: 40000 },
    destination: { address: destination, port: 443 },
  };
  return version === 1 ? buildProxyHeaderV1(h) : buildProxyHeaderV2(h);
}

const GET = "GET / HTTP/1.1\r\nhost: a.test\r\nconnection: close\r\n\r\n";

/**
 * Sends a PROXY header (v`version`) naming `source` as the client, then `request` (default: GET / with
 * connection: close), on a new connection from 127.0.0.1, and reads until weir closes it (2 s at most):
 * the HTTP status, or "closed" when weir closed the connection without answering (a connection filter
 * refused it).
 */
export function proxiedStatus(port: number, version: 1 | 2, source: string, request = GET): Promise<string> {
  const bytes = Buffer.concat([proxyHeader(version, source), Buffer.from(request)]);
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    let data = "";
    socket.on("data", (d: Buffer) => {
      data += d.toString("latin1");
    });
    const done = () => resolve(data === "" ? "closed" : (data.split(" ")[1] ?? data));
    socket.once("close", done);
    socket.on("error", () => {});
    socket.once("connect", () => socket.write(bytes));
    socket.setTimeout(2000, () => socket.destroy());
  });
}
