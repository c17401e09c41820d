// weir for the observability tests: a real `weir run` with its admin API, origins to proxy to, and a
// self-signed certificate for TLS listeners.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";
import { writeSelfSigned } from "../lib/self-signed.ts";
import { startWeir, tempDir, type WeirProcess, writeConfig } from "../lib/weir-process.ts";
import { freePort } from "../process/harness.ts";

export { freePort };

export interface Origin {
  server: Server;
  port: number;
  hits: number;
  close(): Promise<void>;
}

/**
 * An HTTP origin: /healthz answers 200, /slow answers after `slowMs`, /status/NNN answers NNN, anything
 * else 200 with a short body.
 */
export async function startOrigin(port = 0, slowMs = 800): Promise<Origin> {
  const origin: Origin = {
    server: createServer((req: IncomingMessage, res: ServerResponse) => {
      origin.hits++;
      req.resume();
      const url = req.url ?? "/";
      if (url.startsWith("/slow")) {
        setTimeout(() => res.end("slow\n"), slowMs);
        return;
      }
      const m = /^\/status\/(\d{3})/.exec(url);
      res.writeHead(m ? Number(m[1]) : 200, { "content-type": "text/plain" });
      res.end(`origin ${port}\n`);
    }),
    port: 0,
    hits: 0,
    close: () =>
      new Promise<void>((resolve) => {
        origin.server.closeAllConnections();
        origin.server.close(() => resolve());
      }),
  };
  origin.server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    origin.server.once("error", reject);
    origin.server.listen(port, "127.0.0.1", resolve);
  });
  origin.port = (origin.server.address() as { port: number }).port;
  return origin;
}

/** A self-signed certificate for `name`, valid for `days`; paths of its PEM files. */
export function selfSigned(name: string, days = 30, dir = tempDir("weir-observe-cert-")) {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  writeSelfSigned({ names: [name], days, keyFile: key, certFile: cert });
  return { cert, key };
}

export interface RunningWeir {
  weir: WeirProcess;
  dir: string;
  file: string;
  adminPort: number;
}

/** Writes `toml` (with {{dir}} replaced by the config's folder) and runs weir on it. */
export async function runWeir(toml: string, workers = 2, env: NodeJS.ProcessEnv = {}): Promise<RunningWeir> {
  const dir = tempDir("weir-observe-");
  const file = writeConfig(toml.replaceAll("{{dir}}", dir), dir);
  const weir = startWeir(["run", "--config", file, "--workers", String(workers)], { env });
  const line = await weir.waitFor(/"admin API listening"/, 20_000);
  await weir.waitFor(/"weir started"/, 20_000);
  const adminPort = JSON.parse(line).port as number;
  return { weir, dir, file, adminPort };
}
