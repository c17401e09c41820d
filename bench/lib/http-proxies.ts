/**
 * The HTTP row's origin and candidates, each started from a generated config in the row's temp folder.
 * The origin is one nginx worker answering 1 KiB from `return 200` with keep-alive, on two ports:
 * HTTP/1.1 (what every proxy talks to) and HTTP/2 cleartext (for h2load straight to the origin).
 * A candidate listens on an HTTP/1.1 port and, where it can, an h2c (prior knowledge) port; both may be
 * the same port (weir detects the protocol per connection). A candidate that cannot run says why.
 */

import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, waitForPort } from "./net.ts";
import { type Running, spawnPinned, which } from "./proc.ts";
import type { RowContext } from "./row.ts";

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

async function ready(proc: Running, ports: Ports): Promise<Started> {
  for (const port of new Set([ports.h1, ports.h2 ?? ports.h1])) {
    if (!(await waitForPort(port, 15_000, () => proc.exited()))) {
      await proc.stop();
      const out = proc.output().split("\n").slice(-3).join(" | ");
      return { ok: false, why: `${proc.name} did not listen on ${port}: ${out || "no output"}` };
    }
  }
  return { ok: true, proc, ports };
}

function nginxArgs(ctx: RowContext, cfg: string): string[] {
  return ["-p", ctx.tmp, "-e", join(ctx.tmp, "nginx-error.log"), "-c", cfg];
}

/** Top of an nginx config: one worker in the foreground, files in the temp folder. */
function nginxHead(ctx: RowContext, name: string): string[] {
  return [
    "daemon off;",
    "master_process off;",
    "worker_processes 1;",
    `pid ${join(ctx.tmp, `${name}.pid`)};`,
    `error_log ${join(ctx.tmp, "nginx-error.log")} warn;`,
    "events { worker_connections 4096; }",
  ];
}

/** Keep-alive without limits, no access log, temp files in the temp folder. */
const NGINX_HTTP_COMMON = [
  "  access_log off;",
  "  keepalive_requests 100000000;",
  "  keepalive_timeout 300s;",
  "  http2_max_requests 100000000;",
  "  client_body_temp_path client_body;",
  "  proxy_temp_path proxy_temp;",
  "  fastcgi_temp_path fastcgi_temp;",
  "  uwsgi_temp_path uwsgi_temp;",
  "  scgi_temp_path scgi_temp;",
];

/** Starts the origin on the load core. */
export async function startOrigin(ctx: RowContext): Promise<Started> {
  const bin = which("nginx");
  if (bin === null) return { ok: false, why: "nginx not installed (Debian: nginx-light)" };
  const ports = { h1: await freePort(), h2: await freePort() };
  const body = "x".repeat(BODY_BYTES);
  const cfg = join(ctx.tmp, "origin.conf");
  const location = [
    "    location / {",
    "      default_type text/plain;",
    `      return 200 "${body}";`,
    "    }",
  ];
  writeFileSync(
    cfg,
    [
      ...nginxHead(ctx, "origin"),
      "http {",
      ...NGINX_HTTP_COMMON,
      `  server { listen 127.0.0.1:${ports.h1} reuseport;`,
      ...location,
      "  }",
      `  server { listen 127.0.0.1:${ports.h2} http2;`,
      ...location,
      "  }",
      "}",
      "",
    ].join("\n"),
  );
  return ready(spawnPinned("nginx origin", ctx.loadCore, bin, nginxArgs(ctx, cfg)), ports);
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
    const bin = which("nginx");
    if (bin === null) return { ok: false, why: "nginx not installed (Debian: nginx-light)" };
    const ports = { h1: await freePort(), h2: await freePort() };
    const cfg = join(ctx.tmp, "nginx-proxy.conf");
    const location = [
      "    location / {",
      "      proxy_pass http://origin;",
      "      proxy_http_version 1.1;",
      '      proxy_set_header Connection "";',
      "    }",
    ];
    writeFileSync(
      cfg,
      [
        ...nginxHead(ctx, "nginx-proxy"),
        "http {",
        ...NGINX_HTTP_COMMON,
        `  upstream origin { server 127.0.0.1:${origin.h1}; keepalive 256; keepalive_requests 100000000; }`,
        `  server { listen 127.0.0.1:${ports.h1};`,
        ...location,
        "  }",
        `  server { listen 127.0.0.1:${ports.h2} http2;`,
        ...location,
        "  }",
        "}",
        "",
      ].join("\n"),
    );
    return ready(spawnPinned("nginx proxy", ctx.proxyCore, bin, nginxArgs(ctx, cfg)), ports);
  },
};

export const haproxy: HttpCandidate = {
  name: "HAProxy",
  isProxy: true,
  async start(ctx, origin) {
    const bin = which("haproxy");
    if (bin === null) return { ok: false, why: "haproxy not installed (Debian: haproxy)" };
    const ports = { h1: await freePort(), h2: await freePort() };
    const cfg = join(ctx.tmp, "haproxy-http.cfg");
    writeFileSync(
      cfg,
      [
        "global",
        "  nbthread 1",
        "  maxconn 4096",
        "defaults",
        "  mode http",
        "  option http-keep-alive",
        "  http-reuse always",
        "  timeout connect 5s",
        "  timeout client 60s",
        "  timeout server 60s",
        "  timeout http-keep-alive 300s",
        "frontend bench",
        `  bind 127.0.0.1:${ports.h1}`,
        `  bind 127.0.0.1:${ports.h2} proto h2`,
        "  default_backend origin",
        "backend origin",
        `  server origin 127.0.0.1:${origin.h1}`,
        "",
      ].join("\n"),
    );
    return ready(spawnPinned("haproxy", ctx.proxyCore, bin, ["-f", cfg, "-db"]), ports);
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
      const bin = join(ctx.root, "bin", "weir");
      if (!existsSync(bin)) return { ok: false, why: "./bin/weir not found" };
      const port = await freePort();
      const cfg = join(ctx.tmp, `weir-${observe ? "default" : "quiet"}.toml`);
      writeFileSync(
        cfg,
        [
          "[log]",
          'level = "warn"',
          `output = "${join(ctx.tmp, "weir.log")}"`,
          "[access_log]",
          `enabled = ${observe}`,
          `output = "${join(ctx.tmp, "access.log")}"`,
          "[metrics]",
          `requests = ${observe}`,
          "[system]",
          "workers = 1",
          // Benchmarks often run as root in containers; weir refuses root workers unless told.
          process.getuid?.() === 0 ? "allow_root_workers = true" : "",
          "[listeners.bench]",
          `address = "127.0.0.1:${port}"`,
          'protocol = "http"',
          "[upstreams.origin]",
          `endpoints = ["127.0.0.1:${origin.h1}"]`,
          "[[routes]]",
          'name = "bench"',
          'path_prefix = "/"',
          'upstream = "origin"',
          "",
        ].join("\n"),
      );
      const proc = spawnPinned(name, ctx.proxyCore, bin, ["run", "--config", cfg]);
      return ready(proc, { h1: port, h2: port });
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
