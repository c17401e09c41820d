// The toolkit of the transparent scenarios, the scripts that run inside a fresh network namespace
// (scenario.ts, sidecar-scenario.ts, original-dst-probe.ts; the tests start them through
// namespaces.ts): loopback and the rules `weir iptables` prints, origins on fixed addresses, a
// self-signed certificate, clients, and the one JSON object a scenario prints for its test.
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { chmodSync, mkdtempSync, readFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, request } from "node:http";
import { connect, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeSelfSigned } from "../lib/self-signed.ts";
import type { WeirProcess } from "../lib/weir-process.ts";

const MAIN = new URL("../../src/cli/main.ts", import.meta.url).pathname;

/** The transparent listener's port in every scenario, and the user whose connections are not redirected. */
export const PROXY_PORT = 4140;
export const PROXY_USER = "nobody";

/** `weir iptables` arguments that redirect `ports` (comma-separated) to PROXY_PORT, exempting PROXY_USER. */
export function weirIptablesArgs(ports: string): string[] {
  return ["iptables", "--proxy-port", String(PROXY_PORT), "--proxy-user", PROXY_USER, "--ports", ports];
}

export function loopbackUp(): void {
  execFileSync("ip", ["link", "set", "lo", "up"]);
}

/** Loopback up, then every rule `weir iptables` prints for `ports`, applied in order; returns the rules. */
export function redirectToWeir(ports: string): string[] {
  loopbackUp();
  const printed = execFileSync(process.execPath, [MAIN, ...weirIptablesArgs(ports)]).toString();
  const rules = printed.trim().split("\n");
  for (const rule of rules) {
    const [tool, ...args] = rule.split(" ");
    execFileSync(tool!, args);
  }
  return rules;
}

/** Binds `server` to `host`:`port` (an IPv6 host binds IPv6 only, so IPv4 and IPv6 origins can share a port). */
export async function listen(server: Server, host: string, port: number): Promise<Server> {
  server.listen({ host, port, ipv6Only: host.includes(":") });
  await once(server, "listening");
  return server;
}

/** What an HTTP origin can report about the request it received. */
const REQUEST_FIELDS = {
  path: (req: IncomingMessage) => req.url,
  host: (req: IncomingMessage) => req.headers.host ?? null,
  xff: (req: IncomingMessage) => req.headers["x-forwarded-for"] ?? null,
  proto: (req: IncomingMessage) => req.headers["x-forwarded-proto"] ?? null,
  version: (req: IncomingMessage) => req.httpVersion,
} as const;
export type RequestField = keyof typeof REQUEST_FIELDS;

/** An HTTP origin answering 200 with JSON: `{ origin: name }` and exactly the `fields` of the request. */
export function httpOrigin(name: string, fields: readonly RequestField[]): Server {
  return createHttpServer((req, res) => {
    const answer: Record<string, unknown> = { origin: name };
    for (const field of fields) answer[field] = REQUEST_FIELDS[field](req);
    const body = JSON.stringify(answer);
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
}

export interface Identity {
  dir: string;
  keyFile: string;
  certFile: string;
  key: string;
  cert: string;
}

/**
 * A self-signed certificate for `names` (CN: the first) in a fresh folder, which with the key is readable
 * by everyone, so that weir's workers (PROXY_USER) can load it as well as the root scenario.
 */
export function selfSignedIdentity(names: string[]): Identity {
  const dir = mkdtempSync(join(tmpdir(), "weir-transparent-"));
  chmodSync(dir, 0o755);
  const keyFile = join(dir, "key.pem");
  const certFile = join(dir, "cert.pem");
  writeSelfSigned({ names, days: 1, keyFile, certFile });
  chmodSync(keyFile, 0o644);
  return { dir, keyFile, certFile, key: readFileSync(keyFile, "utf8"), cert: readFileSync(certFile, "utf8") };
}

/** Collects a response and resolves with its status and body: parsed JSON, or the text when it is not JSON. */
export function readJson(res: NodeJS.ReadableStream, status: number, resolve: (v: unknown) => void): void {
  const chunks: Buffer[] = [];
  res.on("data", (c: Buffer) => chunks.push(c));
  res.on("end", () => {
    const text = Buffer.concat(chunks).toString();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {}
    resolve({ status, body });
  });
}

/** GET `path` from `host`:18888 with Host `authority`, no keep-alive; rejects after 5 s without an answer. */
export function httpGet(
  host: string,
  authority: string,
  path = "/",
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host, port: 18888, path, headers: { host: authority }, agent: false, timeout: 5000 },
      (res) => readJson(res, res.statusCode ?? 0, resolve as (v: unknown) => void),
    );
    req.on("timeout", () => req.destroy(new Error("no answer in 5 s")));
    req.on("error", reject);
    req.end();
  });
}

export interface Exchanged {
  data: Buffer;
  /** Milliseconds from connecting to the first byte received, -1 when none came. */
  firstByteMs: number;
  /** The peer closed (rather than `until` holding or the time running out). */
  closed: boolean;
}

/**
 * Sends `send` (if any) on a fresh connection and collects everything until the peer closes, `until`
 * holds, or `timeoutMs` passes.
 */
export function exchange(
  host: string,
  port: number,
  send: Buffer | string | undefined,
  until: (received: Buffer) => boolean,
  timeoutMs: number,
): Promise<Exchanged> {
  return new Promise((resolve) => {
    const started = performance.now();
    let firstByteMs = -1;
    const chunks: Buffer[] = [];
    const socket = connect({ host, port });
    const finish = (closed: boolean) => {
      socket.destroy();
      resolve({ data: Buffer.concat(chunks), firstByteMs: Math.round(firstByteMs), closed });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on("data", (c: Buffer) => {
      if (firstByteMs < 0) firstByteMs = performance.now() - started;
      chunks.push(c);
      if (until(Buffer.concat(chunks))) {
        clearTimeout(timer);
        finish(false);
      }
    });
    socket.on("close", () => {
      clearTimeout(timer);
      finish(true);
    });
    socket.on("error", () => {});
    if (send !== undefined) socket.write(send);
  });
}

/**
 * An HTTP request straight to the proxy port on `host`: its original destination is the listener itself,
 * so weir must close it as a loop without answering. Whether it closed within `timeoutMs`, and the bytes.
 */
export async function straightToProxy(
  host: string,
  timeoutMs: number,
): Promise<{ closed: boolean; bytes: number }> {
  const r = await exchange(host, PROXY_PORT, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", () => false, timeoutMs);
  return { closed: r.closed, bytes: r.data.length };
}

/**
 * The end of every scenario: waits for `weir` to start, runs `clients`, stops weir and the origins, and
 * prints one JSON object, what the clients returned (or `error` when anything threw) with `extra`,
 * weir's exit code and its output; then exits 0 (the test judges the JSON).
 */
export async function reportScenario(
  weir: WeirProcess,
  origins: Server[],
  clients: () => Promise<Record<string, unknown>>,
  extra: Record<string, unknown> = {},
): Promise<never> {
  let output: Record<string, unknown>;
  try {
    await weir.waitFor(/"weir started"|"msg":"ready"/, 15_000);
    output = await clients();
  } catch (err) {
    output = { error: (err as Error).message };
  }
  const code = await weir.stop();
  for (const origin of origins) origin.close();
  process.stdout.write(
    JSON.stringify({
      ...output,
      ...extra,
      exitCode: code,
      weirStdout: weir.stdout(),
      weirStderr: weir.stderr(),
    }),
  );
  process.exit(0);
}
