// Shared setup of the filter suites: weir's real listeners (handshake steps, connection filters, the HTTP
// engine) on port 0 in this process, origins and auth services on port 0, and a plain HTTP/1.1 client
// that can choose its source address (127.0.0.2, ::1) the way a second client machine would.
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import type { TestContext } from "node:test";
import { loadConfig } from "../../src/config/load.ts";
import { type Generation, provision } from "../../src/generation.ts";
import { Listener } from "../../src/listener/listener.ts";

export { config, echo, type Origin, requireProgram, type SeenRequest, startOrigin } from "../http/harness.ts";

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
