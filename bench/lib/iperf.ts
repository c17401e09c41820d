/** One iperf3 client run against a port, with the CPU the proxy tree spent meanwhile. */

import { coreBusy, coreTimes, treeCpuSeconds } from "./cpu.ts";
import type { Running } from "./proc.ts";
import { runPinned } from "./proc.ts";
import type { RowContext } from "./row.ts";

export interface Measured {
  gbitPerS: number;
  bytes: number;
  /** CPU seconds the proxy's process tree used during the run; null without a proxy. */
  proxyCpuS: number | null;
  /** Busy share (0..1) of the proxy's core and of the load core (iperf3 client and server). */
  proxyCoreBusy: number | null;
  loadCoreBusy: number | null;
}

const GiB = 1024 ** 3;

export function cpuSecondsPerGiB(m: Measured): number | null {
  return m.proxyCpuS === null ? null : m.proxyCpuS / (m.bytes / GiB);
}

interface IperfJson {
  error?: string;
  end?: { sum_received?: { bits_per_second: number; bytes: number } };
}

/** Runs `iperf3 -c` for the row's duration on the load core; `why` says what went wrong. */
export async function runIperf(
  ctx: RowContext,
  port: number,
  proxy: Running | null,
): Promise<Measured | { why: string }> {
  const coresBefore = coreTimes();
  const cpuBefore = proxy === null ? 0 : treeCpuSeconds(proxy.pid);
  const args = ["-c", "127.0.0.1", "-p", String(port), "-t", String(ctx.durationS), "-J"];
  const run = await runPinned(ctx.loadCore, "iperf3", args);
  const cpuAfter = proxy === null ? 0 : treeCpuSeconds(proxy.pid);
  const coresAfter = coreTimes();
  let json: IperfJson;
  try {
    json = JSON.parse(run.stdout) as IperfJson;
  } catch {
    return { why: `iperf3 exited ${run.code}: ${run.stderr.trim() || run.stdout.trim().slice(0, 200)}` };
  }
  const sum = json.end?.sum_received;
  if (json.error !== undefined || sum === undefined) return { why: `iperf3: ${json.error ?? "no summary"}` };
  return {
    gbitPerS: sum.bits_per_second / 1e9,
    bytes: sum.bytes,
    proxyCpuS: proxy === null ? null : cpuAfter - cpuBefore,
    proxyCoreBusy: coreBusy(coresBefore, coresAfter, ctx.proxyCore),
    loadCoreBusy: coreBusy(coresBefore, coresAfter, ctx.loadCore),
  };
}
