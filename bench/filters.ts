/**
 * Filters row (issue 8): the HTTP row's wrk run (HTTP/1.1 keep-alive, 64 connections, 1 KiB responses
 * from the nginx origin) through weir twice: on a route without filters, and on the same route with five
 * built-in filters that all pass every request:
 *   cidr           allow 127.0.0.0/8 (wrk connects from 127.0.0.1)
 *   rate_limit     per client address, a rate and burst far above what one core can serve
 *   set_headers    one request header with a variable, one response header
 *   remove_headers request headers by glob, response headers by regex
 *   request_id     a new id upstream and back to the client
 * Target (issue 8): CPU per request with the filters at most 1.10x without. CPU is the weir process
 * tree's (supervisor + one worker) over the measured run; the two runs alternate three times (A B A B A B)
 * and the lowest CPU/request of each side counts, so a burst of unrelated load on the machine hits both sides.
 */

import { join } from "node:path";
import { cpuPerRequestUs, type LoadMeasured, type LoadResult, runWrk } from "./lib/http-load.ts";
import { PATH } from "./lib/http-proxies.ts";
import { lastOutput, launchWeir } from "./lib/launch.ts";
import { freePort, waitForPort } from "./lib/net.ts";
import type { BenchRow, RowContext } from "./lib/row.ts";
import { toolsMissing, withOrigin } from "./lib/row-setup.ts";
import { type Cell, fmt, printTable } from "./lib/table.ts";
import { weirHttpConfig } from "./lib/weir-config.ts";

const TARGET_FILTERS_OVERHEAD = 1.1;
const ROUNDS = 3;

/** The five filters of the issue, each passing every request of the run. */
const FIVE_FILTERS = [
  "[[routes.filters]]",
  'kind = "cidr"',
  'allow = ["127.0.0.0/8"]',
  "[[routes.filters]]",
  'kind = "rate_limit"',
  'key = "client_addr"',
  "rate = 100000000",
  "burst = 100000000",
  "[[routes.filters]]",
  'kind = "set_headers"',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: weir's placeholder, not JavaScript's
  'request = { "x-weir-client" = "${client_addr}", "x-env" = "bench" }',
  'response = { "x-served-by" = "weir" }',
  "[[routes.filters]]",
  'kind = "remove_headers"',
  'request_glob = ["x-internal-*"]',
  'response_regex = ["^x-debug-"]',
  "[[routes.filters]]",
  'kind = "request_id"',
];

interface Variant {
  name: string;
  filters: readonly string[];
}
const PLAIN: Variant = { name: "weir, no filters", filters: [] };
const FILTERED: Variant = { name: "weir, 5 filters", filters: FIVE_FILTERS };

async function runOnce(ctx: RowContext, v: Variant, originPort: number, round: number): Promise<LoadResult> {
  const port = await freePort();
  const tag = `${v.filters.length > 0 ? "filtered" : "plain"}-${round}`;
  const text = weirHttpConfig({
    logLevel: "warn",
    logFile: join(ctx.tmp, `weir-${tag}.log`),
    accessLogFile: join(ctx.tmp, `access-${tag}.log`),
    workers: 1,
    port,
    originPort,
    benchRoute: v.filters,
  });
  const proc = launchWeir(ctx, v.name, ctx.proxyCore, join(ctx.tmp, `weir-${tag}.toml`), text);
  if (typeof proc === "string") return { why: proc };
  try {
    if (!(await waitForPort(port, 15_000, () => proc.exited())))
      return { why: `weir did not listen: ${lastOutput(proc)}` };
    return await runWrk(ctx, port, PATH, proc);
  } finally {
    await proc.stop();
  }
}

function ok(r: LoadResult): r is LoadMeasured {
  return !("why" in r);
}

/** The run with the lowest CPU per request, or the first failure's reason. */
function best(runs: readonly LoadResult[]): LoadResult {
  const good = runs.filter(ok);
  if (good.length === 0) return runs[0] ?? { why: "no run" };
  return good.reduce((a, b) => ((cpuPerRequestUs(b) ?? Infinity) < (cpuPerRequestUs(a) ?? Infinity) ? b : a));
}

export const filtersRow: BenchRow = {
  name: "filters",
  title: "CPU/request of a route with 5 built-in filters vs none (wrk HTTP/1.1, 64 conns, weir 1 worker)",
  async run(ctx) {
    if (toolsMissing("filters", { nginx: "nginx-light", wrk: "wrk" })) return;
    await withOrigin("filters", ctx, async (origin) => {
      const runs = new Map<Variant, LoadResult[]>([
        [PLAIN, []],
        [FILTERED, []],
      ]);
      for (let round = 1; round <= ROUNDS; round++) {
        for (const v of [PLAIN, FILTERED]) {
          process.stdout.write(`  round ${round}: ${v.name} for ${ctx.durationS} s...\n`);
          runs.get(v)!.push(await runOnce(ctx, v, origin.h1, round));
        }
      }
      report(runs);
    });
  },
};

function report(runs: Map<Variant, LoadResult[]>): void {
  const rows: Cell[][] = [];
  for (const [v, list] of runs) {
    list.forEach((m, i) => {
      if (!ok(m)) {
        rows.push([v.name, i + 1, null, null, null, null, m.why]);
        return;
      }
      const pct = (s: number | null) => (s === null ? "n/a" : `${Math.round(s * 100)}%`);
      rows.push([
        v.name,
        i + 1,
        Math.round(m.rps),
        m.errors,
        fmt(cpuPerRequestUs(m), 1),
        pct(m.proxyCoreBusy),
        pct(m.loadCoreBusy),
      ]);
    });
  }
  printTable(["route", "round", "req/s", "errors", "CPU µs/req", "proxy core", "load core"], rows);
  const plain = best(runs.get(PLAIN) ?? []);
  const filtered = best(runs.get(FILTERED) ?? []);
  const a = ok(filtered) ? cpuPerRequestUs(filtered) : null;
  const b = ok(plain) ? cpuPerRequestUs(plain) : null;
  const want = `<= ${TARGET_FILTERS_OVERHEAD.toFixed(2)}`;
  console.log("target (best round of each side):");
  if (a === null || b === null || !(b > 0)) {
    console.log(`  CPU/req 5 filters / none: n/a (target ${want})`);
  } else {
    const q = a / b;
    console.log(
      `  CPU/req 5 filters / none: ${fmt(a, 1)} / ${fmt(b, 1)} µs = ${q.toFixed(2)} (target ${want}) ` +
        (q <= TARGET_FILTERS_OVERHEAD ? "met" : "MISSED"),
    );
  }
  console.log("  (errors must be 0 on both sides: a 403 or 429 from a filter would count as an error)");
}
