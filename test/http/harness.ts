// Shared setup of the HTTP suites: real origins (node:http on port 0), weir's HTTP service in-process
// behind a net.Server on port 0, real clients (curl, nghttp, raw sockets).
import { execFile, spawnSync } from "node:child_process";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect, createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import type { TestContext } from "node:test";
import { loadConfig } from "../../src/config/load.ts";
import { type Generation, provision } from "../../src/generation.ts";
import { createHttpService, type HttpService } from "../../src/http/index.ts";
import { newConnectionContext } from "../../src/listener/connection.ts";

export interface SeenRequest {
  method: string;
  url: string;
  httpVersion: string;
  headers: IncomingMessage["headers"];
  rawHeaders: string[];
  body: string;
}

export interface Origin {
  port: number;
  server: Server;
  seen: SeenRequest[];
}

type Handler = (req: IncomingMessage, res: ServerResponse, seen: SeenRequest) => void;

/** Answers every request with a JSON echo of what it received, unless `handler` says otherwise. */
export const echo: Handler = (_req, res, seen) => {
  const body = JSON.stringify(seen);
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
};

export async function startOrigin(t: TestContext, handler: Handler = echo): Promise<Origin> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const s: SeenRequest = {
        method: req.method ?? "",
        url: req.url ?? "",
        httpVersion: req.httpVersion,
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks).toString(),
      };
      seen.push(s);
      handler(req, res, s);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return { port: (server.address() as { port: number }).port, server, seen };
}

export interface Proxy {
  port: number;
  gen: Generation;
  svc: HttpService;
  server: NetServer;
  /** Client sockets the proxy holds now. */
  open(): number;
}

export async function startProxy(t: TestContext, configText: string, listener = "web"): Promise<Proxy> {
  const loaded = loadConfig({ text: configText });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const gen = provision(loaded.config);
  const svc = createHttpService(gen, listener);
  const server = createNetServer({ allowHalfOpen: true, noDelay: true }, (s) =>
    svc.handle(s, newConnectionContext(listener, s)),
  );
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(async () => {
    await svc.close(200);
    await new Promise<void>((r) => server.close(() => r()));
  });
  const open = (): number => {
    let n = 0;
    server.getConnections((_e, c) => {
      n = c;
    });
    return n;
  };
  return { port: (server.address() as { port: number }).port, gen, svc, server, open };
}

/** Resolves the number of connections `server` holds. */
export function connectionCount(server: NetServer): Promise<number> {
  return new Promise((resolve, reject) => server.getConnections((e, n) => (e ? reject(e) : resolve(n))));
}

/** A config whose access log is off, with `extra` TOML appended. */
export function config(body: string): string {
  return `[log]\nlevel = "fatal"\n[access_log]\nenabled = false\n${body}`;
}

export function hasProgram(name: string): boolean {
  return spawnSync(name, ["--version"], { stdio: "ignore" }).status === 0;
}

/** Skips `t` when `program` is missing, unless CI=true, where a missing peer program is a failure. */
export function requireProgram(t: TestContext, program: string): boolean {
  if (hasProgram(program)) return true;
  if (process.env.CI === "true") throw new Error(`${program} is required in CI`);
  t.skip(`${program} is not installed`);
  return false;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(program: string, args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(program, args, { timeout: 20_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Sends `bytes` on a fresh connection and resolves everything the proxy sent until it closed. */
export function rawExchange(port: number, bytes: string | Buffer, timeoutMs = 3_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, "127.0.0.1", () => socket.write(bytes));
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(Buffer.concat(chunks).toString("latin1"));
    }, timeoutMs);
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", reject);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString("latin1"));
    });
  });
}
