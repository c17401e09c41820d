// Shared setup of the TLS suites: weir's listeners in-process on port 0 (the same Listener the workers
// run) or a real ./bin/weir (supervisor and workers), the TOML of a TLS listener, and the real clients
// (node:tls, openssl s_client, curl, nghttp). Certificates are made at test time (certs.ts).
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { get as httpGet } from "node:http";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { type TLSSocket, connect as tlsConnect } from "node:tls";
import { loadConfig } from "../../src/config/load.ts";
import { type Generation, provision } from "../../src/generation.ts";
import type { Listener } from "../../src/listener/listener.ts";
import { startListeners } from "../../src/process/serve.ts";
import { startWeir, tempDir, type WeirProcess, writeConfig } from "../lib/weir-process.ts";
import type { TestCert } from "./certs.ts";

export interface TlsProxy {
  port: number;
  gen: Generation;
  listener: Listener;
  /** The process log so far (JSON lines written to a file in the test's folder). */
  log(): string;
  /** weir_tls_failures_total{reason} of this proxy's listener. */
  failures(reason: string): Promise<number>;
}

/** Starts the listener `name` of `toml` (a config without its [log] table) on 127.0.0.1 port 0. */
export async function startTlsProxy(t: TestContext, toml: string, name = "edge"): Promise<TlsProxy> {
  const logFile = join(tempDir("weir-tls-log-"), "weir.log");
  // A short header timeout: the HTTP engine holds a connection that closed before its first byte until then.
  const http = `\n[listeners.${name}.http]\nheader_timeout = "1s"\n`;
  const text = `[log]\nlevel = "debug"\noutput = "${logFile}"\n[access_log]\nenabled = false\n${toml}${http}`;
  const loaded = loadConfig({ text });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const gen = provision(loaded.config);
  const serving = await startListeners(gen, new Map([[name, { host: "127.0.0.1", port: 0 }]]));
  t.after(() => serving.close(100));
  const listener = serving.listeners[0] as Listener;
  const port = (listener.server.address() as { port: number }).port;
  return {
    port,
    gen,
    listener,
    log: () => {
      for (const o of gen.outputs) o.flush();
      try {
        return readFileSync(logFile, "utf8");
      } catch {
        return "";
      }
    },
    async failures(reason: string) {
      const metric = await gen.metrics.registry.getSingleMetric("weir_tls_failures_total")?.get();
      const v = metric?.values.find((x) => x.labels.reason === reason);
      return v?.value ?? 0;
    },
  };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(program: string, args: string[], input = ""): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(program, args, { timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end(input);
  });
}

export interface SClient {
  ok: boolean;
  /** "CN = a.test, O = weir tests" */
  subject: string | undefined;
  protocol: string | undefined;
  cipher: string | undefined;
  alpn: string | undefined;
  reused: boolean;
  output: string;
}

/** One handshake with openssl s_client; `args` adds -servername, -alpn, -tls1_2, -cipher ...; `input` is sent after it. */
export async function sClient(port: number, args: string[], input = ""): Promise<SClient> {
  const r = await run("openssl", ["s_client", "-connect", `127.0.0.1:${port}`, ...args], input);
  const out = `${r.stdout}\n${r.stderr}`;
  const line = (re: RegExp) => out.match(re)?.[1]?.trim();
  const cipher = line(/Cipher is (\S+)/);
  return {
    ok: cipher !== undefined && cipher !== "(NONE)",
    subject: line(/^subject=(.*)$/m),
    protocol: line(/^(?:New|Reused), (TLSv[\d.]+)/m),
    cipher,
    alpn: line(/^ALPN protocol: (\S+)/m),
    reused: /^Reused, /m.test(out),
    output: out,
  };
}

/** TOML for a certificates list. */
export function certificatesToml(certs: { cert: string; key: string }[]): string {
  return `certificates = [${certs.map((c) => `{ cert = "${c.cert}", key = "${c.key}" }`).join(", ")}]`;
}

/** TOML of the listener `edge` on 127.0.0.1 port 0, terminating TLS with `pair`, then `tls`, more lines of its [tls]. */
export function edgeTlsToml(pair: TestCert, tls: string[] = []): string {
  const lines = [
    "[listeners.edge]",
    'address = "127.0.0.1:0"',
    "[listeners.edge.tls]",
    certificatesToml([pair]),
  ];
  return `${[...lines, ...tls].join("\n")}\n`;
}

export interface TlsWeir {
  weir: WeirProcess;
  /** The port of the listener whose address is "127.0.0.1:0". */
  port: number;
  /** Everything weir wrote to stdout and stderr so far. */
  output(): string;
  /** The lines of `output()` that match `re`. */
  lines(re: RegExp): string[];
  /** The admin API's port (the config has an [admin] table listening on port 0). */
  adminPort(): Promise<number>;
  /** The value of the admin API's series `name` whose labels include every `labels` pair; 0 when absent. */
  metric(name: string, labels: Record<string, string>): Promise<number>;
}

/** Runs ./bin/weir with `toml` (written into `dir`), killed after the test; resolves once weir has started. */
export async function startTlsWeir(t: TestContext, toml: string, dir: string): Promise<TlsWeir> {
  const weir = startWeir(["run", "-c", writeConfig(toml, dir)]);
  t.after(() => weir.stop("SIGKILL"));
  const started = JSON.parse(await weir.waitFor(/"weir started"/));
  const output = () => weir.stdout() + weir.stderr();
  const adminPort = async () => JSON.parse(await weir.waitFor(/"admin API listening"/)).port as number;
  return {
    weir,
    port: started.listeners["127.0.0.1:0"] as number,
    output,
    lines: (re) =>
      output()
        .split("\n")
        .filter((l) => re.test(l)),
    adminPort,
    async metric(name, labels) {
      const line = (await metricsText(await adminPort()))
        .split("\n")
        .find(
          (l) =>
            l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)),
        );
      return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
    },
  };
}

/** The admin API's /metrics text. */
function metricsText(adminPort: number): Promise<string> {
  return new Promise((resolve, reject) => {
    httpGet({ host: "127.0.0.1", port: adminPort, path: "/metrics" }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => {
        body += c;
      });
      res.on("end", () => resolve(body));
    }).on("error", reject);
  });
}

/**
 * Calls `probe` until `done` holds of what it returned or `withinMs` passed, `everyMs` apart; returns the
 * last value, for the caller to assert on (so a timeout fails with the test's own message).
 */
export async function eventually<T>(
  probe: () => T | Promise<T>,
  done: (value: T) => boolean,
  withinMs = 5_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() >= deadline) return value;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A node:tls connection to `servername` (a.test) on `port`, verified against `ca`, with `client`'s certificate if given. */
export function openTls(
  port: number,
  ca: Buffer,
  opts: { servername?: string; client?: TestCert } = {},
): Promise<TLSSocket> {
  const { servername = "a.test", client } = opts;
  return new Promise((resolve, reject) => {
    const s = tlsConnect(
      {
        port,
        host: "127.0.0.1",
        servername,
        ca,
        ...(client ? { cert: readFileSync(client.cert), key: readFileSync(client.key) } : {}),
      },
      () => resolve(s),
    );
    s.once("error", reject);
  });
}

/** The SHA-256 fingerprint of the certificate a new handshake to a.test gets ("" when it gets none). */
export async function servedFingerprint(port: number, ca: Buffer): Promise<string> {
  const s = await openTls(port, ca);
  const fp = s.getPeerX509Certificate()?.fingerprint256 ?? "";
  s.destroy();
  return fp;
}

/** One keep-alive GET / for a.test on `s`; resolves the response once `body` follows its head, rejects if `s` closes first. */
export function keepAliveGet(s: TLSSocket, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = "";
    const onData = (c: Buffer) => {
      got += c;
      if (got.includes(`\r\n\r\n${body}`)) {
        s.off("data", onData);
        s.off("close", onClose);
        resolve(got);
      }
    };
    const onClose = () => reject(new Error(`connection closed before the response; got ${got}`));
    s.on("data", onData);
    s.once("close", onClose);
    s.write("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n");
  });
}
