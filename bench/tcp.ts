/**
 * TCP row: one large stream through each proxy, measured with iperf3.
 * iperf3's client and server share the load core; the proxy has the other
 * core to itself. Reports throughput, the proxy's CPU seconds per GiB moved
 * (from /proc, whole process tree), and weir's ratio to HAProxy and to a bare
 * Node pipe() proxy.
 */

import { cpuSecondsPerGiB, type Measured, runIperf } from "./lib/iperf.ts";
import { freePort, waitForPort } from "./lib/net.ts";
import { spawnPinned, which } from "./lib/proc.ts";
import type { BenchRow, RowContext } from "./lib/row.ts";
import { fmt, printTable, ratio } from "./lib/table.ts";
import { barePipe, direct, haproxy, nginx, type TcpCandidate, weir } from "./lib/tcp-proxies.ts";

const CANDIDATES: readonly TcpCandidate[] = [direct, haproxy, nginx, barePipe, weir];

/** Targets printed beside the figures (DESIGN.md "Performance principles": ratios, not absolutes). */
const TARGET_VS_HAPROXY = 0.8;
const TARGET_VS_PIPE = 1.0;

type Result = { name: string; isProxy: boolean } & ({ ok: true; m: Measured } | { ok: false; why: string });

async function measure(ctx: RowContext, c: TcpCandidate, backendPort: number): Promise<Result> {
  const port = c.isProxy ? await freePort() : backendPort;
  const started = await c.start(ctx, port, backendPort);
  if (!started.ok) return { name: c.name, isProxy: c.isProxy, ok: false, why: started.why };
  try {
    const m = await runIperf(ctx, port, started.proc);
    if ("why" in m) return { name: c.name, isProxy: c.isProxy, ok: false, why: m.why };
    return { name: c.name, isProxy: c.isProxy, ok: true, m };
  } finally {
    await started.proc?.stop();
  }
}

export const tcpRow: BenchRow = {
  name: "tcp",
  title: "one large TCP stream (iperf3), proxy pinned to its own core",
  async run(ctx) {
    const iperf3 = which("iperf3");
    if (iperf3 === null) {
      console.log("tcp: n/a — iperf3 not installed (Debian: iperf3)");
      return;
    }
    const backendPort = await freePort();
    const server = spawnPinned("iperf3 -s", ctx.loadCore, iperf3, ["-s", "-p", String(backendPort)]);
    try {
      if (!(await waitForPort(backendPort, 5000, () => server.exited()))) {
        console.log(`tcp: n/a — iperf3 server did not start: ${server.output()}`);
        return;
      }
      const results: Result[] = [];
      for (const c of CANDIDATES) {
        process.stdout.write(`  running ${c.name} for ${ctx.durationS} s...\n`);
        results.push(await measure(ctx, c, backendPort));
      }
      report(results);
    } finally {
      await server.stop();
    }
  },
};

function gbps(r: Result | undefined): number | null {
  return r?.ok ? r.m.gbitPerS : null;
}

function percent(share: number | null): string {
  return share === null ? "n/a" : `${Math.round(share * 100)}%`;
}

function report(results: readonly Result[]): void {
  const pipe = results.find((r) => r.name === barePipe.name);
  const ha = results.find((r) => r.name === haproxy.name);
  const w = results.find((r) => r.name === weir.name);
  printTable(
    ["candidate", "Gbit/s", "CPU s/GiB", "vs HAProxy", "vs bare pipe", "proxy core", "load core", "note"],
    results.map((r) => [
      r.name,
      r.ok ? fmt(r.m.gbitPerS) : null,
      r.ok && r.isProxy ? fmt(cpuSecondsPerGiB(r.m), 3) : r.ok ? "-" : null,
      r.isProxy ? ratio(gbps(r), gbps(ha)) : "-",
      r.isProxy ? ratio(gbps(r), gbps(pipe)) : "-",
      r.ok && r.isProxy ? percent(r.m.proxyCoreBusy) : r.ok ? "-" : null,
      r.ok ? percent(r.m.loadCoreBusy) : null,
      r.ok ? "" : r.why,
    ]),
  );
  const wg = gbps(w);
  const line = (label: string, other: number | null, target: number) => {
    if (wg === null || other === null) return `  ${label}: n/a (target >= ${target.toFixed(2)})`;
    const q = wg / other;
    return `  ${label}: ${q.toFixed(2)} (target >= ${target.toFixed(2)}) ${q >= target ? "met" : "MISSED"}`;
  };
  console.log("targets:");
  console.log(line("weir / HAProxy  ", gbps(ha), TARGET_VS_HAPROXY));
  console.log(line("weir / bare pipe", gbps(pipe), TARGET_VS_PIPE));
  console.log(
    "  (when the load core is ~100% busy the stream is limited by iperf3, not the proxy:\n" +
      "   then compare CPU s/GiB, lower is better)",
  );
}
