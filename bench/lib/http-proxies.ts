/**
 * The HTTP row's origin and candidates, each started from a generated config in the row's temp folder.
 * The origin is one nginx worker answering 1 KiB from `return 200` with keep-alive, on two ports:
 * HTTP/1.1 (what every proxy talks to) and HTTP/2 cleartext (for h2load straight to the origin).
 * A candidate listens on an HTTP/1.1 port and, where it can, an h2c (prior knowledge) port; both may be
 * the same port (weir detects the protocol per connection). A candidate that cannot run says why.
 */

import { join } from "node:path";
import { haproxyHttpConfig } from "./haproxy-config.ts";
import { lastOutput, launchHaproxy, launchNginx, launchWeir } from "./launch.ts";
import { freePort, waitForPort } from "./net.ts";
import {
  NGINX_PROXY_TO_ORIGIN,
  type NginxConfig,
  type NginxFiles,
  nginxHttp,
  nginxOriginUpstream,
  nginxServer,
} from "./nginx-config.ts";
import { type Running, spawnPinned } from "./proc.ts";
import type { RowContext } from "./row.ts";
import { weirHttpConfig } from "./weir-config.ts";

/** The response body size the issue asks for. */
export const BODY_BYTES = 1024;
export const PATH = "/bench";

export interface Ports {
  h1: number;
  /** h2c by prior knowledge; null when the candidate has no HTTP/2 front end. */
  h2: number | null;
}

export type Started = { ok: true; proc: Running | null; ports: Ports } | { ok: false; why: string };

export interface HttpCandidate {
  name: string;
  /** Counts as a proxy: CPU per request and ratios are printed for it. */
  isProxy: boolean;
  start(ctx: RowContext, origin: Ports & { h2: number }): Promise<Started>;
}

/** `proc`, or why it is not there, once it listens on every port; stopped when it does not. */
async function ready(proc: Running | string, ports: Ports): Promise<Started> {
  if (typeof proc === "string") return { ok: false, why: proc };
  for (const port of new Set([ports.h1, ports.h2 ?? ports.h1])) {
    if (!(await waitForPort(port, 15_000, () => proc.exited()))) {
      await proc.stop();
      return { ok: false, why: `${proc.name} did not listen on ${port}: ${lastOutput(proc)}` };
    }
  }
  return { ok: true, proc, ports };
}

/** nginx files of the HTTP row's nginx `name` (origin or proxy): its own pid file, one shared error log. */
function nginxFiles(ctx: RowContext, name: string): NginxFiles {
  return { pid: join(ctx.tmp, `${name}.pid`), errorLog: join(ctx.tmp, "nginx-error.log") };
}

/** The HTTP row's nginx: an HTTP/1.1 server (listen parameters `h1Listen`) and an h2c one, same `location`. */
function nginxH1H2(
  ctx: RowContext,
  name: string,
  upstreams: readonly string[],
  h1Listen: string,
  h2Port: number,
  location: readonly string[],
): NginxConfig {
  return {
    ...nginxFiles(ctx, name),
    workerConnections: 4096,
    blocks: nginxHttp({ http2: true }, [
      ...upstreams,
      ...nginxServer(h1Listen, location),
      ...nginxServer(`127.0.0.1:${h2Port} http2`, location),
    ]),
  };
}

/** Starts the origin on the load core. */
export async function startOrigin(ctx: RowContext): Promise<Started> {
  const ports = { h1: await freePort(), h2: await freePort() };
  const body = "x".repeat(BODY_BYTES);
  const location = [
    "    location / {",
    "      default_type text/plain;",
    `      return 200 "${body}";`,
    "    }",
  ];
  const config = nginxH1H2(ctx, "origin", [], `127.0.0.1:${ports.h1} reuseport`, ports.h2, location);
  return ready(launchNginx(ctx, "nginx origin", ctx.loadCore, join(ctx.tmp, "origin.conf"), config), ports);
}

export const direct: HttpCandidate = {
  name: "direct (no proxy)",
  isProxy: false,
  async start(_ctx, origin) {
    return { ok: true, proc: null, ports: origin };
  },
};

export const nginxProxy: HttpCandidate = {
  name: "nginx proxy",
  isProxy: true,
  async start(ctx, origin) {
    const ports = { h1: await freePort(), h2: await freePort() };
    const config = nginxH1H2(
      ctx,
      "nginx-proxy",
      [nginxOriginUpstream(origin.h1)],
      `127.0.0.1:${ports.h1}`,
      ports.h2,
      NGINX_PROXY_TO_ORIGIN,
    );
    const cfg = join(ctx.tmp, "nginx-proxy.conf");
    return ready(launchNginx(ctx, "nginx proxy", ctx.proxyCore, cfg, config), ports);
  },
};

export const haproxy: HttpCandidate = {
  name: "HAProxy",
  isProxy: true,
  async start(ctx, origin) {
    const ports = { h1: await freePort(), h2: await freePort() };
    const text = haproxyHttpConfig({
      binds: [`  bind 127.0.0.1:${ports.h1}`, `  bind 127.0.0.1:${ports.h2} proto h2`],
      originPort: origin.h1,
    });
    return ready(launchHaproxy("haproxy", ctx.proxyCore, join(ctx.tmp, "haproxy-http.cfg"), text), ports);
  },
};

export const nodeUndici: HttpCandidate = {
  name: "node:http + undici Pool",
  isProxy: true,
  async start(ctx, origin) {
    const script = join(ctx.root, "bench", "baselines", "node-undici-proxy.ts");
    const ports = { h1: await freePort(), h2: await freePort() };
    const args = [script, String(ports.h1), String(ports.h2), String(origin.h1)];
    return ready(spawnPinned("node baseline", ctx.proxyCore, process.execPath, args), ports);
  },
};

/**
 * weir as `weir run` starts it (supervisor + one worker; the supervisor is idle, its CPU is counted
 * all the same), with its default features: routing, forwarding headers, per-request metrics and the
 * access log to a file in the temp folder; with `observe` false, the access log and the per-request
 * metrics are off (issue 9's "both off" baseline for their overhead).
 */
function weirCandidate(name: string, observe: boolean): HttpCandidate {
  return {
    name,
    isProxy: true,
    async start(ctx, origin) {
      const port = await freePort();
      const text = weirHttpConfig({
        logLevel: "warn",
        logFile: join(ctx.tmp, "weir.log"),
        accessLogFile: join(ctx.tmp, "access.log"),
        observe,
        workers: 1,
        port,
        originPort: origin.h1,
      });
      const cfg = join(ctx.tmp, `weir-${observe ? "default" : "quiet"}.toml`);
      return ready(launchWeir(ctx, name, ctx.proxyCore, cfg, text), { h1: port, h2: port });
    },
  };
}

export const weir = weirCandidate("weir", true);
export const weirQuiet = weirCandidate("weir, log+metrics off", false);

/** Every candidate in table order. */
export const HTTP_CANDIDATES: readonly HttpCandidate[] = [
  direct,
  nginxProxy,
  haproxy,
  nodeUndici,
  weir,
  weirQuiet,
];
