/**
 * The proxies a TCP row compares, each started in plain TCP mode from a
 * generated config: listen on 127.0.0.1:listenPort, forward to
 * 127.0.0.1:upstreamPort. A candidate that cannot run here says why instead.
 */

import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { waitForPort } from "./net.ts";
import { commandText, type Running, spawnPinned, which } from "./proc.ts";
import type { RowContext } from "./row.ts";

export type Started = { ok: true; proc: Running | null } | { ok: false; why: string };

export interface TcpCandidate {
  name: string;
  /** Counts as a proxy: CPU per GiB and ratios are printed for it. */
  isProxy: boolean;
  start(ctx: RowContext, listenPort: number, upstreamPort: number): Promise<Started>;
}

/** Waits for the port; on failure stops the process and reports its output. */
async function ready(proc: Running, port: number): Promise<Started> {
  if (await waitForPort(port, 10_000, () => proc.exited())) return { ok: true, proc };
  await proc.stop();
  const out = proc.output().split("\n").slice(-3).join(" | ");
  return { ok: false, why: `${proc.name} did not listen on ${port}: ${out || "no output"}` };
}

export const direct: TcpCandidate = {
  name: "direct (no proxy)",
  isProxy: false,
  async start() {
    return { ok: true, proc: null };
  },
};

export const haproxy: TcpCandidate = {
  name: "HAProxy mode tcp",
  isProxy: true,
  async start(ctx, listenPort, upstreamPort) {
    const bin = which("haproxy");
    if (bin === null) return { ok: false, why: "haproxy not installed (Debian: haproxy)" };
    const cfg = join(ctx.tmp, "haproxy.cfg");
    writeFileSync(
      cfg,
      [
        "global",
        "  nbthread 1",
        "defaults",
        "  mode tcp",
        "  timeout connect 5s",
        "  timeout client 60s",
        "  timeout server 60s",
        "listen bench",
        `  bind 127.0.0.1:${listenPort}`,
        `  server backend 127.0.0.1:${upstreamPort}`,
        "",
      ].join("\n"),
    );
    return ready(spawnPinned("haproxy", ctx.proxyCore, bin, ["-f", cfg, "-db"]), listenPort);
  },
};

/** Where nginx's stream module is: compiled in, a loadable module file, or nowhere. */
function nginxStream(): { builtIn: boolean; module: string | null; why: string | null } {
  const v = commandText("nginx", ["-V"]) ?? "";
  if (/--with-stream(\s|$)/m.test(v)) return { builtIn: true, module: null, why: null };
  if (v.includes("--with-stream=dynamic")) {
    for (const dir of ["/usr/lib/nginx/modules", "/usr/share/nginx/modules"]) {
      const file = join(dir, "ngx_stream_module.so");
      if (existsSync(file)) return { builtIn: false, module: file, why: null };
    }
    return {
      builtIn: false,
      module: null,
      why: "nginx has stream only as a dynamic module, not installed (Debian: libnginx-mod-stream)",
    };
  }
  return { builtIn: false, module: null, why: "nginx built without the stream module" };
}

export const nginx: TcpCandidate = {
  name: "nginx stream",
  isProxy: true,
  async start(ctx, listenPort, upstreamPort) {
    const bin = which("nginx");
    if (bin === null) return { ok: false, why: "nginx not installed (Debian: nginx-light)" };
    const stream = nginxStream();
    if (stream.why !== null) return { ok: false, why: stream.why };
    const cfg = join(ctx.tmp, "nginx.conf");
    writeFileSync(
      cfg,
      [
        stream.module === null ? "" : `load_module ${stream.module};`,
        "daemon off;",
        "master_process off;",
        "worker_processes 1;",
        `pid ${join(ctx.tmp, "nginx.pid")};`,
        `error_log ${join(ctx.tmp, "nginx-error.log")} warn;`,
        "events { worker_connections 1024; }",
        "stream {",
        "  server {",
        `    listen 127.0.0.1:${listenPort};`,
        `    proxy_pass 127.0.0.1:${upstreamPort};`,
        "  }",
        "}",
        "",
      ].join("\n"),
    );
    const args = ["-p", ctx.tmp, "-e", join(ctx.tmp, "nginx-error.log"), "-c", cfg];
    return ready(spawnPinned("nginx", ctx.proxyCore, bin, args), listenPort);
  },
};

export const barePipe: TcpCandidate = {
  name: "Node bare pipe()",
  isProxy: true,
  async start(ctx, listenPort, upstreamPort) {
    const script = join(ctx.root, "bench", "bare-pipe-proxy.ts");
    const args = [script, String(listenPort), String(upstreamPort)];
    return ready(spawnPinned("bare pipe", ctx.proxyCore, process.execPath, args), listenPort);
  },
};

export const weir: TcpCandidate = {
  name: "weir",
  isProxy: true,
  async start(ctx, listenPort, upstreamPort) {
    const bin = join(ctx.root, "bin", "weir");
    if (!existsSync(bin)) return { ok: false, why: "./bin/weir not found" };
    const cfg = join(ctx.tmp, "weir.toml");
    writeFileSync(
      cfg,
      [
        "[log]",
        'level = "warn"',
        "[system]",
        "workers = 1",
        // Benchmarks often run as root in containers; weir refuses root workers unless told.
        process.getuid?.() === 0 ? "allow_root_workers = true" : "",
        "[listeners.bench]",
        `address = "127.0.0.1:${listenPort}"`,
        'protocol = "tcp"',
        'upstream = "backend"',
        "[upstreams.backend]",
        `endpoints = ["127.0.0.1:${upstreamPort}"]`,
        "",
      ].join("\n"),
    );
    return ready(spawnPinned("weir", ctx.proxyCore, bin, ["run", "--config", cfg]), listenPort);
  },
};
