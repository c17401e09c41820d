// Shared pieces of the process tests: an origin, a load client that counts every failure, free ports,
// configs, and what /proc says about weir's processes.
import { spawn } from "node:child_process";
import { chmodSync, readFileSync } from "node:fs";
import { Agent, createServer, request, type Server } from "node:http";
import { createServer as createNetServer } from "node:net";
import { ROOT, tempDir, writeConfig } from "../lib/weir-process.ts";

/** An HTTP origin: `/` answers at once, `/slow?ms=N` after N ms. Body "ok <pid>\n". */
export async function startOrigin(): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const ms = Number(url.searchParams.get("ms") ?? 0);
    const answer = () => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(`ok ${url.pathname}\n`);
    };
    if (ms > 0) setTimeout(answer, ms);
    else answer();
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as { port: number }).port };
}

/** A TCP port nobody listens on right now. */
export async function freePort(host = "127.0.0.1", below1024 = false): Promise<number> {
  if (!below1024) {
    const s = createNetServer();
    await new Promise<void>((resolve) => s.listen(0, host, resolve));
    const port = (s.address() as { port: number }).port;
    await new Promise((r) => s.close(r));
    return port;
  }
  // Port 80 is left to the processes.toml contract test, which needs exactly it.
  for (const port of [81, 82, 88, 8, 9, 555, 777, 999, 1000, 1001, 1002, 1020]) {
    const s = createNetServer();
    const ok = await new Promise<boolean>((resolve) => {
      s.once("error", () => resolve(false));
      s.listen(port, host, () => resolve(true));
    });
    if (ok) {
      await new Promise((r) => s.close(r));
      return port;
    }
  }
  throw new Error("no free port below 1024");
}

export interface LoadStats {
  ok: number;
  failed: number;
  /** Requests on a reused keep-alive connection that the server closed before any response byte, sent
   * again on a new connection, as RFC 9112 §9.3.1 lets a client do for idempotent requests. */
  retried: number;
  errors: string[];
}

/**
 * Requests `GET /` on `port` as fast as it can until stopped: `keepAlive` loops reuse connections,
 * `fresh` loops open a new connection per request. Every error, status other than 200 or short body is a
 * failure (the first 20 are kept in `errors`).
 */
export function startLoad(port: number, opts: { keepAlive?: number; fresh?: number; maxMs?: number } = {}) {
  const stats: LoadStats = { ok: 0, failed: 0, retried: 0, errors: [] };
  let running = true;
  // Bounded in time whatever happens to the test (a failed assertion before stop() must not leave a
  // request loop spinning), and a failure backs off so a dead port is not hammered at full speed.
  const deadline = Date.now() + (opts.maxMs ?? 60_000);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const once = (useAgent: Agent | false) =>
    new Promise<"ok" | "retry" | string>((resolve) => {
      const req = request({ host: "127.0.0.1", port, path: "/", agent: useAgent }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c) => {
          body += c;
        });
        res.on("end", () =>
          resolve(
            res.statusCode === 200 && body === "ok /\n"
              ? "ok"
              : `status ${res.statusCode} body ${JSON.stringify(body)}`,
          ),
        );
        res.on("error", (err) => resolve(`response: ${err.message}`));
        res.on("close", () => resolve(`response cut after ${JSON.stringify(body)}`));
      });
      req.on("error", (err: NodeJS.ErrnoException) =>
        resolve(
          req.reusedSocket && (err.code === "ECONNRESET" || err.code === "EPIPE")
            ? "retry"
            : `${err.code ?? ""} ${err.message}`,
        ),
      );
      req.end();
    });
  const loop = async (useAgent: Agent | false) => {
    while (running && Date.now() < deadline) {
      let result = await once(useAgent);
      if (result === "retry") {
        stats.retried++;
        result = await once(false);
      }
      if (result === "ok") stats.ok++;
      else {
        stats.failed++;
        if (stats.errors.length < 20) stats.errors.push(result);
        await sleep(10);
      }
    }
  };
  const loops = [
    ...Array.from({ length: opts.keepAlive ?? 4 }, () => loop(agent)),
    ...Array.from({ length: opts.fresh ?? 2 }, () => loop(false)),
  ];
  return {
    stats,
    async stop(): Promise<LoadStats> {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return stats;
    },
  };
}

/** One GET through weir, with its status, body and how long it took. Rejects on a connection error. */
export function get(port: number, path: string): Promise<{ status: number; body: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, ms: Date.now() - started }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** Child pids of `pid`, from /proc. */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Real/effective uid and gid and the supplementary groups of `pid`, from /proc/<pid>/status. */
export function idsOf(pid: number): { uids: number[]; gids: number[]; groups: number[] } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) =>
    (status.match(new RegExp(`^${name}:[ \\t]*(.*)$`, "m"))?.[1] ?? "")
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  return { uids: field("Uid"), gids: field("Gid"), groups: field("Groups") };
}

export async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A temp folder any user may read (for runs as nobody), with `toml` written as weir.toml in it. */
export function configIn(toml: string): { dir: string; file: string } {
  const dir = tempDir("weir-process-");
  chmodSync(dir, 0o755);
  const file = writeConfig(toml, dir);
  chmodSync(file, 0o644);
  return { dir, file };
}

/** A tcp listener on `port` forwarding to the origin: HTTP goes through it unchanged. */
export function proxyConfig(o: {
  port: number;
  originPort: number;
  system?: string;
  extraListeners?: string;
}): string {
  return `
[system]
${o.system ?? ""}

[listeners.web]
address = "127.0.0.1:${o.port}"
protocol = "tcp"
upstream = "origin"
${o.extraListeners ?? ""}

[upstreams.origin]
endpoints = ["127.0.0.1:${o.originPort}"]
`;
}

export const isRoot = process.getuid?.() === 0;

/**
 * Like startWeir, for weir started through another program that exec()s it (setpriv, unshare): the
 * returned child is that program. Output is collected the same way.
 */
export function startThrough(
  program: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; detached?: boolean } = {},
) {
  const child = spawn(program, args, {
    cwd: opts.cwd ?? ROOT,
    detached: opts.detached ?? false,
    env: { ...process.env, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    output += d;
    for (const l of listeners) l();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    exited,
    output: () => output,
    waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = output.split("\n").find((l) => pattern.test(l));
          if (line === undefined) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve(line);
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${pattern}\n${output}`));
        }, timeoutMs);
        exited.then(() => {
          if (!listeners.has(check)) return;
          listeners.delete(check);
          clearTimeout(timer);
          reject(new Error(`exited while waiting for ${pattern}\n${output}`));
        });
        listeners.add(check);
        check();
      });
    },
    async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
