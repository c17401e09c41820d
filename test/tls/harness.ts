// Shared setup of the TLS suites: weir's listeners in-process on port 0 (the same Listener the workers
// run), certificates made at test time, and the real clients (openssl s_client, curl, nghttp).
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { loadConfig } from "../../src/config/load.ts";
import { type Generation, provision } from "../../src/generation.ts";
import type { Listener } from "../../src/listener/listener.ts";
import { startListeners } from "../../src/process/serve.ts";
import { tempDir } from "../lib/weir-process.ts";

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
