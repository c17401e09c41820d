/**
 * Scaling row (issue 7): requests/s of the HTTP row's wrk run (HTTP/1.1 keep-alive, 64 connections,
 * 1 KiB responses from the nginx origin) through weir with `workers = 1` and `workers = 2`, and the time
 * from SIGHUP to new workers serving.
 *
 * Nothing is pinned in this row: weir's workers, the origin and wrk all share every core, so on a
 * 2-core machine the load generator and origin take much of the second core and 2 workers cannot reach
 * 2x. The row says so next to the figures instead of hiding it.
 *
 * Reload: weir serves `/bench-generation` with a fixed response naming its config generation. The row
 * rewrites the config with the next name, sends SIGHUP to the supervisor and asks on a new connection
 * every few milliseconds until the new name comes back: that is "new workers serving" as a client sees
 * it. The supervisor's own figure (`ms` of its "config reloaded" log line: load, bind, start workers)
 * is printed beside it.
 */

import { readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { type LoadMeasured, type LoadResult, runWrk } from "./lib/http-load.ts";
import { PATH } from "./lib/http-proxies.ts";
import { lastOutput, launchWeir } from "./lib/launch.ts";
import { freePort, waitForPort } from "./lib/net.ts";
import type { Running } from "./lib/proc.ts";
import type { BenchRow, RowContext } from "./lib/row.ts";
import { toolsMissing, withOrigin } from "./lib/row-setup.ts";
import { type Cell, fmt, printTable } from "./lib/table.ts";
import { weirHttpConfig } from "./lib/weir-config.ts";

const GENERATION_PATH = "/bench-generation";
const RELOADS = 5;
/** Longest a reload may take before the row reports it as failed. */
const RELOAD_TIMEOUT_MS = 20_000;
const POLL_EVERY_MS = 5;

/** weir with `workers`, answering GENERATION_PATH itself with `generation` (which config is serving). */
function weirConfig(ctx: RowContext, port: number, originPort: number, workers: number, generation: string) {
  return weirHttpConfig({
    logLevel: "info",
    logFile: join(ctx.tmp, `weir-${workers}.log`),
    accessLogFile: join(ctx.tmp, `access-${workers}.log`),
    workers,
    port,
    originPort,
    routesBefore: [
      "[[routes]]",
      'name = "generation"',
      `path_prefix = "${GENERATION_PATH}"`,
      `respond = { status = 200, body = "${generation}" }`,
    ],
  });
}

/** The body of GET `path` on a new connection, or null on any error. */
function getOnce(port: number, path: string): Promise<string | null> {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path, agent: false, timeout: 2000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
      });
      res.on("end", () => resolve(res.statusCode === 200 ? body : null));
      res.on("error", () => resolve(null));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(null));
  });
}

interface Reload {
  /** SIGHUP to the first response from the new config, as a client sees it. */
  servingMs: number | null;
  /** The supervisor's own `ms` from its "config reloaded" log line. */
  supervisorMs: number | null;
  /** Requests that failed while polling (should be 0: a reload drops nothing). */
  failed: number;
}

/** The `ms` of the `n`-th "config reloaded" line of the supervisor's log, if written yet. */
function supervisorReloadMs(logFile: string, n: number): number | null {
  let text: string;
  try {
    text = readFileSync(logFile, "utf8");
  } catch {
    return null;
  }
  const lines = text.split("\n").filter((l) => l.includes("config reloaded"));
  const line = lines[n - 1];
  if (line === undefined) return null;
  const m = /"ms"\s*:\s*(\d+)|\bms=(\d+)/.exec(line);
  return m === null ? null : Number(m[1] ?? m[2]);
}

async function reloadOnce(
  ctx: RowContext,
  proc: Running,
  cfg: string,
  port: number,
  originPort: number,
  n: number,
): Promise<Reload> {
  const generation = `generation-${n + 1}`;
  writeFileSync(cfg, weirConfig(ctx, port, originPort, 2, generation));
  const started = performance.now();
  process.kill(proc.pid, "SIGHUP");
  let failed = 0;
  let servingMs: number | null = null;
  while (performance.now() - started < RELOAD_TIMEOUT_MS && !proc.exited()) {
    const body = await getOnce(port, GENERATION_PATH);
    if (body === null) failed++;
    else if (body === generation) {
      servingMs = performance.now() - started;
      break;
    }
    await new Promise((r) => setTimeout(r, POLL_EVERY_MS));
  }
  // The log line may land a moment after the first new response.
  let supervisorMs: number | null = null;
  for (let i = 0; i < 100 && supervisorMs === null; i++) {
    supervisorMs = supervisorReloadMs(join(ctx.tmp, "weir-2.log"), n);
    if (supervisorMs === null) await new Promise((r) => setTimeout(r, 20));
  }
  return { servingMs, supervisorMs, failed };
}

interface Throughput {
  workers: number;
  load: LoadResult;
  reloads: Reload[];
}

async function runWorkers(ctx: RowContext, workers: number, originPort: number): Promise<Throughput> {
  const port = await freePort();
  const cfg = join(ctx.tmp, `weir-${workers}.toml`);
  const text = weirConfig(ctx, port, originPort, workers, "generation-1");
  const proc = launchWeir(ctx, `weir ${workers} workers`, null, cfg, text);
  if (typeof proc === "string") return { workers, load: { why: proc }, reloads: [] };
  try {
    if (!(await waitForPort(port, 15_000, () => proc.exited()))) {
      return { workers, load: { why: `weir did not listen: ${lastOutput(proc)}` }, reloads: [] };
    }
    const load = await runWrk(ctx, port, PATH, proc);
    const reloads: Reload[] = [];
    // Reload timing once, on the 2-worker run: that is the shape a production deployment has.
    if (workers === 2) {
      for (let n = 1; n <= RELOADS; n++) reloads.push(await reloadOnce(ctx, proc, cfg, port, originPort, n));
    }
    return { workers, load, reloads };
  } finally {
    await proc.stop(5000);
  }
}

export const scalingRow: BenchRow = {
  name: "scaling",
  title: "req/s with 1 and 2 workers (wrk HTTP/1.1, 64 conns, nothing pinned) and SIGHUP-to-serving time",
  async run(ctx) {
    if (toolsMissing("scaling", { nginx: "nginx-light", wrk: "wrk" })) return;
    // Nothing pinned: workers, origin and wrk share every core.
    const shared: RowContext = { ...ctx, proxyCore: null, loadCore: null };
    await withOrigin("scaling", shared, async (origin) => {
      const results: Throughput[] = [];
      for (const workers of [1, 2]) {
        process.stdout.write(`  running weir with ${workers} worker(s) for ${ctx.durationS} s...\n`);
        results.push(await runWorkers(shared, workers, origin.h1));
      }
      report(results);
    });
  },
};

function ok(r: LoadResult | undefined): r is LoadMeasured {
  return r !== undefined && !("why" in r);
}

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function report(results: readonly Throughput[]): void {
  const cores = availableParallelism();
  printTable(
    ["workers", "req/s", "p99 ms", "errors", "weir CPU s", "note"],
    results.map((r): Cell[] => {
      const m = r.load;
      if (!ok(m)) return [r.workers, null, null, null, null, m.why];
      return [r.workers, Math.round(m.rps), fmt(m.p99Ms, 3), m.errors, fmt(m.proxyCpuS, 2), ""];
    }),
  );
  const one = results.find((r) => r.workers === 1)?.load;
  const two = results.find((r) => r.workers === 2)?.load;
  console.log(
    ok(one) && ok(two)
      ? `  2 workers / 1 worker: ${(two.rps / one.rps).toFixed(2)}x req/s`
      : "  2 workers / 1 worker: n/a",
  );
  console.log(
    `  (${cores} cores, shared by weir, the nginx origin and wrk: ` +
      (cores <= 2
        ? "the load side needs most of a core, so a second worker has little CPU left to use; " +
          "this ratio is not the scaling a machine with spare cores would show)"
        : "the ratio is a floor: the load side still takes CPU from the workers)"),
  );
  const reloads = results.find((r) => r.workers === 2)?.reloads ?? [];
  if (reloads.length === 0) {
    console.log("reload: n/a (the 2-worker run did not get that far)");
    return;
  }
  console.log(`\nreload (SIGHUP, 2 workers, idle, ${reloads.length} in a row):`);
  printTable(
    ["reload", "SIGHUP to new config serving ms", "supervisor log ms", "failed polls"],
    reloads.map((r, i): Cell[] => [i + 1, fmt(r.servingMs, 1), r.supervisorMs, r.failed]),
  );
  const serving = reloads.flatMap((r) => (r.servingMs === null ? [] : [r.servingMs]));
  const missed = reloads.length - serving.length;
  console.log(
    `  SIGHUP to new workers serving: median ${fmt(median(serving), 1)} ms, max ${fmt(serving.length > 0 ? Math.max(...serving) : null, 1)} ms` +
      (missed > 0 ? `; ${missed} reload(s) never served the new config within ${RELOAD_TIMEOUT_MS} ms` : ""),
  );
}
