/**
 * `npm run bench [-- ROW...] [--duration S]`: runs benchmark rows and prints
 * figures beside nginx and HAProxy on the same machine, as ratios
 * (DESIGN.md "Performance principles"). Rows are registered below, one file
 * each; a row whose tools are missing prints n/a and why, and the run still
 * exits 0. Not part of `npm test`.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { which } from "./lib/proc.ts";
import type { BenchRow, RowContext } from "./lib/row.ts";

/** The row registry: name → loader. HTTP (wrk/h2load), TLS and scaling rows go here. */
const ROWS: Record<string, () => Promise<BenchRow>> = {
  tcp: async () => (await import("./tcp.ts")).tcpRow,
  http: async () => (await import("./http.ts")).httpRow,
  tls: async () => (await import("./tls.ts")).tlsRow,
  filters: async () => (await import("./filters.ts")).filtersRow,
  scaling: async () => (await import("./scaling.ts")).scalingRow,
};

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    duration: { type: "string", default: "10" },
    list: { type: "boolean", default: false },
  },
});

if (values.list) {
  for (const [name, load] of Object.entries(ROWS)) console.log(`${name}\t${(await load()).title}`);
  process.exit(0);
}

const durationS = Number(values.duration);
if (!(durationS >= 1)) {
  console.error(`bench: --duration must be a number of seconds >= 1, got ${values.duration}`);
  process.exit(2);
}
const unknown = positionals.filter((p) => !(p in ROWS));
if (unknown.length > 0) {
  console.error(`bench: unknown row(s) ${unknown.join(", ")}; rows: ${Object.keys(ROWS).join(", ")}`);
  process.exit(2);
}
const selected = positionals.length > 0 ? positionals : Object.keys(ROWS);

// Proxy on core 0, load on core 1: the proxy never competes with its load generator.
const pinned = availableParallelism() >= 2 && which("taskset") !== null;
const root = dirname(dirname(fileURLToPath(import.meta.url)));
console.log(
  `weir bench — node ${process.version}, ${availableParallelism()} cores, ` +
    (pinned
      ? "proxy on core 0, load on core 1"
      : "NOT pinned (needs 2 cores and taskset): figures are rough"),
);

for (const name of selected) {
  const row = await ROWS[name]!();
  console.log(`\n== ${row.name}: ${row.title}, ${durationS} s per candidate`);
  const tmp = mkdtempSync(join(tmpdir(), `weir-bench-${row.name}-`));
  const ctx: RowContext = { durationS, proxyCore: pinned ? 0 : null, loadCore: pinned ? 1 : null, root, tmp };
  try {
    await row.run(ctx);
  } catch (err) {
    // A broken row is reported, not fatal: the other rows still run.
    console.log(`${row.name}: n/a — the row failed: ${err instanceof Error ? err.stack : String(err)}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
