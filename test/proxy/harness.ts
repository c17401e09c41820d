// Shared setup of the PROXY protocol suites: an in-process weir Listener (the real accept path, handshake
// steps included) on port 0, HAProxy from Debian as a peer, and origins that report what reached them.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingHttpHeaders } from "node:http";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { loadConfig } from "../../src/config/load.ts";
import { type Generation, provision } from "../../src/generation.ts";
import { Listener } from "../../src/listener/listener.ts";
import {
  type ParseResult,
  type ProxyHeader,
  parseProxyHeader,
} from "../../src/protocol/proxy-header/index.ts";

export interface Weir {
  port: number;
  gen: Generation;
  /** The value of `metric` with exactly these labels (0 when absent). */
  metric(name: string, labels: Record<string, string>): Promise<number>;
}

/** Starts listener `name` of the config `toml` (log off unless it says otherwise) on 127.0.0.1:0. */
export async function startWeir(t: TestContext, toml: string, name: string): Promise<Weir> {
  const loaded = loadConfig({ text: `[log]\nlevel = "fatal"\n${toml}` });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const gen = provision(loaded.config);
  const config = loaded.config.listeners[name];
  if (config === undefined) throw new Error(`no listener ${name}`);
  const listener = await Listener.create(name, config, gen);
  await listener.listen({ host: "127.0.0.1", port: 0 });
  t.after(() => listener.close(200));
  return {
    port: (listener.server.address() as { port: number }).port,
    gen,
    async metric(metricName, labels) {
      const m = await gen.metrics.registry.getSingleMetric(metricName)?.get();
      const hit = m?.values.find((v) =>
        Object.entries(labels).every(([k, value]) => String(v.labels[k]) === value),
      );
      return hit?.value ?? 0;
    },
  };
}

/** One connection's PROXY header as an origin saw it, and the bytes after it. */
export interface Arrival {
  result: ParseResult;
  header: ProxyHeader | undefined;
  rest: Buffer;
  socket: Socket;
}

/**
 * A TCP origin that expects a PROXY header (any version) on each connection, parses it with weir's codec
 * and hands the connection to `onArrival` once `minRest` bytes followed it (or the peer ended).
 */
export async function headerOrigin(
  t: TestContext,
  onArrival: (a: Arrival) => void,
  minRest = 1,
): Promise<{ port: number; arrivals: Arrival[] }> {
  const arrivals: Arrival[] = [];
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.on("error", () => {});
    let got = Buffer.alloc(0);
    let done = false;
    const report = (): void => {
      if (done) return;
      const result = parseProxyHeader(got);
      const length = result.kind === "header" ? result.length : 0;
      if (result.kind === "incomplete" || (got.length - length < minRest && !socket.readableEnded)) return;
      done = true;
      socket.off("data", onData);
      const a: Arrival = {
        result,
        header: result.kind === "header" ? result.header : undefined,
        rest: got.subarray(length),
        socket,
      };
      arrivals.push(a);
      onArrival(a);
    };
    const onData = (c: Buffer): void => {
      got = Buffer.concat([got, c]);
      report();
    };
    socket.on("data", onData);
    socket.once("end", report);
  });
  await listenOn(t, server);
  return { port: (server.address() as { port: number }).port, arrivals };
}

export interface SeenRequest {
  url: string;
  headers: IncomingHttpHeaders;
  /** The PROXY header its connection began with (proxyHttpOrigin only). */
  proxy?: ProxyHeader;
  /** Per-connection sequence number: equal numbers came over one connection. */
  connection: number;
}

/**
 * An HTTP origin answering each request with a JSON echo of what it saw. With `expectProxy`, each
 * connection must start with a PROXY header first (weir's upstream proxy_protocol), which it parses.
 */
export async function httpOrigin(
  t: TestContext,
  expectProxy = false,
): Promise<{ port: number; seen: SeenRequest[] }> {
  const seen: SeenRequest[] = [];
  let connections = 0;
  const info = new WeakMap<Socket, { proxy?: ProxyHeader; connection: number }>();
  const http = createHttpServer((req, res) => {
    const i = info.get(req.socket) ?? { connection: -1 };
    const s: SeenRequest = { url: req.url ?? "", headers: req.headers, connection: i.connection };
    if (i.proxy !== undefined) s.proxy = i.proxy;
    seen.push(s);
    req.resume();
    req.on("end", () => {
      const body = JSON.stringify({ ...s, proxy: i.proxy?.source });
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
    });
  });
  const server = createServer((socket) => {
    socket.on("error", () => {});
    const connection = ++connections;
    if (!expectProxy) {
      info.set(socket, { connection });
      http.emit("connection", socket);
      return;
    }
    let got = Buffer.alloc(0);
    const onData = (c: Buffer): void => {
      got = Buffer.concat([got, c]);
      const r = parseProxyHeader(got);
      if (r.kind === "incomplete") return;
      socket.off("data", onData);
      if (r.kind === "error") return void socket.destroy();
      socket.pause();
      info.set(socket, { proxy: r.header, connection });
      socket.unshift(got.subarray(r.length));
      http.emit("connection", socket);
      socket.resume();
    };
    socket.on("data", onData);
  });
  await listenOn(t, server);
  t.after(() => http.closeAllConnections());
  return { port: (server.address() as { port: number }).port, seen };
}

function listenOn(t: TestContext, server: Server): Promise<void> {
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });
  t.after(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return new Promise((r) => server.listen(0, "127.0.0.1", () => r()));
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Runs haproxy in the foreground on these config sections; stopped after the test. */
export function startHaproxy(t: TestContext, sections: string[]): { stderr: () => string } {
  const dir = mkdtempSync(join(tmpdir(), "weir-pp-haproxy-"));
  const file = join(dir, "haproxy.cfg");
  writeFileSync(
    file,
    [
      "global",
      "  maxconn 100",
      "defaults",
      "  mode tcp",
      "  timeout connect 2s",
      "  timeout client 10s",
      "  timeout server 10s",
      ...sections,
      "",
    ].join("\n"),
  );
  const haproxy = spawn("haproxy", ["-db", "-f", file], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  haproxy.stderr.on("data", (d) => {
    stderr += d;
  });
  t.after(() => {
    haproxy.kill();
  });
  return { stderr: () => stderr };
}

/** Connects from `localAddress` (any 127/8 address is ours on Linux), retrying while a peer starts. */
export async function connectWhenUp(
  port: number,
  localAddress = "127.0.0.1",
  why = () => "",
): Promise<Socket> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const s = connect({ port, host: "127.0.0.1", localAddress });
        s.once("connect", () => {
          s.off("error", reject);
          resolve(s);
        });
        s.once("error", reject);
      });
    } catch (err) {
      if (attempt >= 50)
        throw new Error(`peer on ${port} did not come up: ${(err as Error).message} ${why()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Sends one HTTP/1.1 request on `socket` (after `prefix`), resolves with the parsed JSON body, or
 * "closed" when the connection ends without a response. */
export function requestOver(
  socket: Socket,
  prefix: Buffer | string = "",
  path = "/",
  extraHeaders = "",
): Promise<Record<string, unknown> | "closed"> {
  return new Promise((resolve) => {
    let got = Buffer.alloc(0);
    const onData = (c: Buffer): void => {
      got = Buffer.concat([got, c]);
      const head = got.indexOf("\r\n\r\n");
      if (head < 0) return;
      const m = /content-length: (\d+)/i.exec(got.subarray(0, head).toString("latin1"));
      const length = Number(m?.[1] ?? 0);
      if (got.length < head + 4 + length) return;
      socket.off("data", onData);
      socket.off("close", onClose);
      resolve(JSON.parse(got.subarray(head + 4, head + 4 + length).toString()) as Record<string, unknown>);
    };
    const onClose = (): void => resolve("closed");
    socket.on("data", onData);
    socket.once("close", onClose);
    socket.once("end", onClose);
    socket.on("error", () => {});
    const req = `GET ${path} HTTP/1.1\r\nhost: test\r\n${extraHeaders}\r\n`;
    const head = typeof prefix === "string" ? Buffer.from(prefix, "latin1") : prefix;
    socket.write(Buffer.concat([head, Buffer.from(req)]));
  });
}

/** Resolves when `socket` closes, with how long that took. */
export function closedWithin(socket: Socket): Promise<number> {
  const started = Date.now();
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve(0);
    socket.resume();
    socket.on("error", () => {});
    socket.once("end", () => resolve(Date.now() - started));
    socket.once("close", () => resolve(Date.now() - started));
  });
}
