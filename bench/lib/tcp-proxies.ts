/**
 * The proxies a TCP row compares, each started in plain TCP mode from a
 * generated config: listen on 127.0.0.1:listenPort, forward to
 * 127.0.0.1:upstreamPort. A candidate that cannot run here says why instead.
 */

import { existsSync } from "node:fs";
import { join } from "node:path";
import { lastOutput, launchHaproxy, launchNginx, launchWeir, NGINX_MISSING } from "./launch.ts";
import { waitForPort } from "./net.ts";
import { commandText, type Running, spawnPinned, which } from "./proc.ts";
import type { RowContext } from "./row.ts";
import { weirSystem } from "./weir-config.ts";

export type Started = { ok: true; proc: Running | null } | { ok: false; why: string };

export interface TcpCandidate {
  name: string;
  /** Counts as a proxy: CPU per GiB and ratios are printed for it. */
  isProxy: boolean;
  start(ctx: RowContext, listenPort: number, upstreamPort: number): Promise<Started>;
}

/** Waits for the port; on failure stops the process and reports its output. */
async function ready(proc: Running | string, port: number): Promise<Started> {
  if (typeof proc === "string") return { ok: false, why: proc };
  if (await waitForPort(port, 10_000, () => proc.exited())) return { ok: true, proc };
  await proc.stop();
  return { ok: false, why: `${proc.name} did not listen on ${port}: ${lastOutput(proc)}` };
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
    const text = [
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
    ].join("\n");
    return ready(launchHaproxy("haproxy", ctx.proxyCore, join(ctx.tmp, "haproxy.cfg"), text), listenPort);
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
    if (which("nginx") === null) return { ok: false, why: NGINX_MISSING };
    const stream = nginxStream();
    if (stream.why !== null) return { ok: false, why: stream.why };
    const proc = launchNginx(ctx, "nginx", ctx.proxyCore, join(ctx.tmp, "nginx.conf"), {
      preamble: [stream.module === null ? "" : `load_module ${stream.module};`],
      pid: join(ctx.tmp, "nginx.pid"),
      errorLog: join(ctx.tmp, "nginx-error.log"),
      workerConnections: 1024,
      blocks: [
        "stream {",
        "  server {",
        `    listen 127.0.0.1:${listenPort};`,
        `    proxy_pass 127.0.0.1:${upstreamPort};`,
        "  }",
        "}",
      ],
    });
    return ready(proc, listenPort);
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
    const text = [
      "[log]",
      'level = "warn"',
      ...weirSystem(1),
      "[listeners.bench]",
      `address = "127.0.0.1:${listenPort}"`,
      'protocol = "tcp"',
      'upstream = "backend"',
      "[upstreams.backend]",
      `endpoints = ["127.0.0.1:${upstreamPort}"]`,
      "",
    ].join("\n");
    return ready(launchWeir(ctx, "weir", ctx.proxyCore, join(ctx.tmp, "weir.toml"), text), listenPort);
  },
};
