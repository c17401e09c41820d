/**
 * HTTP load generators for the HTTP row: wrk (HTTP/1.1 keep-alive) and h2load (HTTP/2 cleartext by
 * prior knowledge), each pinned to the load core, with the CPU the proxy's process tree spent during
 * the measured run. A short warm-up run comes first and is not counted: Node candidates need their JIT
 * warm, and every candidate gets its pools filled the same way.
 */

import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { coreBusy, coreTimes, treeCpuSeconds } from "./cpu.ts";
import type { Running } from "./proc.ts";
import { runPinned } from "./proc.ts";
import type { RowContext } from "./row.ts";

export interface LoadMeasured {
  requests: number;
  rps: number;
  /** Latency percentiles in milliseconds; null when the tool did not report them. */
  p50Ms: number | null;
  p99Ms: number | null;
  /** Requests that failed or got a status other than 2xx/3xx. */
  errors: number;
  /** CPU seconds of the proxy's process tree during the measured run; null without a proxy. */
  proxyCpuS: number | null;
  proxyCoreBusy: number | null;
  loadCoreBusy: number | null;
}

/** Microseconds of proxy CPU per request served, or null. */
export function cpuPerRequestUs(m: LoadMeasured): number | null {
  return m.proxyCpuS === null || m.requests === 0 ? null : (m.proxyCpuS / m.requests) * 1e6;
}

export type LoadResult = LoadMeasured | { why: string };

export interface LoadSpec {
  /** Client connections. */
  connections: number;
  /** Seconds of unmeasured warm-up before the measured run. */
  warmupS: number;
}

export const WRK_SPEC: LoadSpec = { connections: 64, warmupS: 2 };
export const H2LOAD_SPEC: LoadSpec & { streams: number } = { connections: 16, streams: 10, warmupS: 2 };

/** Brackets `run` with CPU samples of the proxy tree and of both cores. */
async function measured<T>(
  ctx: RowContext,
  proxy: Running | null,
  run: () => Promise<T>,
): Promise<{ out: T; proxyCpuS: number | null; proxyCoreBusy: number | null; loadCoreBusy: number | null }> {
  const coresBefore = coreTimes();
  const cpuBefore = proxy === null ? 0 : treeCpuSeconds(proxy.pid);
  const out = await run();
  const cpuAfter = proxy === null ? 0 : treeCpuSeconds(proxy.pid);
  const coresAfter = coreTimes();
  return {
    out,
    proxyCpuS: proxy === null ? null : cpuAfter - cpuBefore,
    proxyCoreBusy: coreBusy(coresBefore, coresAfter, ctx.proxyCore),
    loadCoreBusy: coreBusy(coresBefore, coresAfter, ctx.loadCore),
  };
}

/** wrk's duration figures ("812.00us", "1.20ms", "2.01s") in milliseconds. */
function wrkMs(text: string | undefined): number | null {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text ?? "");
  if (m === null) return null;
  const v = Number(m[1]);
  return m[2] === "us" ? v / 1000 : m[2] === "ms" ? v : v * 1000;
}

/** Parses `wrk --latency` output. */
export function parseWrk(
  out: string,
): Omit<LoadMeasured, "proxyCpuS" | "proxyCoreBusy" | "loadCoreBusy"> | null {
  const done = /(\d+) requests in ([\d.]+)(ms|s)/.exec(out);
  if (done === null) return null;
  const requests = Number(done[1]);
  const seconds = done[3] === "ms" ? Number(done[2]) / 1000 : Number(done[2]);
  const p50 = /^\s*50%\s+(\S+)/m.exec(out)?.[1];
  const p99 = /^\s*99%\s+(\S+)/m.exec(out)?.[1];
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = sock === null ? 0 : sock.slice(1).reduce((a, b) => a + Number(b), 0);
  return {
    requests,
    rps: requests / seconds,
    p50Ms: wrkMs(p50),
    p99Ms: wrkMs(p99),
    errors: non2xx + socketErrors,
  };
}

/** `wrk` with 64 keep-alive connections on one thread, pinned to the load core. */
export async function runWrk(
  ctx: RowContext,
  port: number,
  path: string,
  proxy: Running | null,
): Promise<LoadResult> {
  const url = `http://127.0.0.1:${port}${path}`;
  const base = ["-t", "1", "-c", String(WRK_SPEC.connections)];
  await runPinned(ctx.loadCore, "wrk", [...base, "-d", `${WRK_SPEC.warmupS}s`, url]);
  const m = await measured(ctx, proxy, () =>
    runPinned(ctx.loadCore, "wrk", [...base, "-d", `${ctx.durationS}s`, "--latency", url]),
  );
  const parsed = parseWrk(m.out.stdout);
  if (parsed === null)
    return { why: `wrk exited ${m.out.code}: ${(m.out.stderr || m.out.stdout).trim().slice(0, 200)}` };
  return { ...parsed, proxyCpuS: m.proxyCpuS, proxyCoreBusy: m.proxyCoreBusy, loadCoreBusy: m.loadCoreBusy };
}

/** The `p`-quantile (0..1) of sorted values, nearest rank. */
function quantile(sorted: Float64Array, p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/**
 * Latency percentiles from h2load's `--log-file` (tab-separated: start time in µs since the epoch,
 * status, µs until the end of the response; h2load(1)), in milliseconds.
 */
function h2loadPercentiles(file: string): { p50Ms: number | null; p99Ms: number | null } {
  let text: string;
  try {
    text = readFileSync(file, "latin1");
  } catch {
    return { p50Ms: null, p99Ms: null };
  }
  const values: number[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const lastTab = text.lastIndexOf("\t", end);
    if (lastTab > start) {
      const us = Number(text.slice(lastTab + 1, end));
      if (Number.isFinite(us)) values.push(us);
    }
    start = end + 1;
  }
  const sorted = Float64Array.from(values).sort();
  const ms = (v: number | null) => (v === null ? null : v / 1000);
  return { p50Ms: ms(quantile(sorted, 0.5)), p99Ms: ms(quantile(sorted, 0.99)) };
}

/** Parses h2load's summary ("requests: N total, ... N succeeded, N failed, N errored"). */
export function parseH2load(out: string): { requests: number; rps: number; errors: number } | null {
  const fin = /finished in ([\d.]+)(ms|s), ([\d.]+) req\/s/.exec(out);
  const req =
    /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(
      out,
    );
  const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out);
  if (fin === null || req === null) return null;
  const bad = codes === null ? 0 : Number(codes[3]) + Number(codes[4]);
  return {
    requests: Number(req[1]),
    rps: Number(fin[3]),
    errors: Number(req[2]) + Number(req[3]) + Number(req[4]) + bad,
  };
}

/** `h2load` over h2c prior knowledge: 16 connections x 10 concurrent streams, one thread, load core. */
export async function runH2load(
  ctx: RowContext,
  port: number,
  path: string,
  proxy: Running | null,
): Promise<LoadResult> {
  const url = `http://127.0.0.1:${port}${path}`;
  const base = ["-t", "1", "-c", String(H2LOAD_SPEC.connections), "-m", String(H2LOAD_SPEC.streams)];
  await runPinned(ctx.loadCore, "h2load", [...base, "-D", String(H2LOAD_SPEC.warmupS), url]);
  const log = join(ctx.tmp, `h2load-${port}.log`);
  const m = await measured(ctx, proxy, () =>
    runPinned(ctx.loadCore, "h2load", [...base, "-D", String(ctx.durationS), `--log-file=${log}`, url]),
  );
  const parsed = parseH2load(m.out.stdout);
  const latency = h2loadPercentiles(log);
  rmSync(log, { force: true });
  if (parsed === null) {
    return { why: `h2load exited ${m.out.code}: ${(m.out.stderr || m.out.stdout).trim().slice(-200)}` };
  }
  return {
    ...parsed,
    ...latency,
    proxyCpuS: m.proxyCpuS,
    proxyCoreBusy: m.proxyCoreBusy,
    loadCoreBusy: m.loadCoreBusy,
  };
}
