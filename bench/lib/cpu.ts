/**
 * CPU time of a process tree from /proc (proc(5)): utime + stime of the
 * process and every live descendant, plus cutime + cstime, which hold the
 * time of children that already exited and were waited for. Sample before
 * and after a run; the difference is what the tree spent.
 */

import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

interface StatFields {
  ppid: number;
  ticks: number;
}

/** Fields after the command name, which is in parentheses and may itself hold spaces or ')'. */
function readStat(pid: number): StatFields | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state): ppid is field 4, utime..cstime are fields 14..17.
  const ppid = Number(rest[1]);
  const ticks = Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14]);
  return { ppid, ticks };
}

/** CPU seconds used so far by `pid` and its descendants; NaN if `pid` is gone. */
export function treeCpuSeconds(pid: number): number {
  const root = readStat(pid);
  if (root === null) return Number.NaN;
  const children = new Map<number, number[]>();
  const ticks = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    const p = Number(entry);
    if (!Number.isInteger(p) || p <= 0) continue;
    const s = readStat(p);
    if (s === null) continue;
    ticks.set(p, s.ticks);
    const list = children.get(s.ppid);
    if (list === undefined) children.set(s.ppid, [p]);
    else list.push(p);
  }
  let total = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    total += ticks.get(p) ?? 0;
    for (const c of children.get(p) ?? []) stack.push(c);
  }
  return total / clockTicks();
}

/** Jiffies per core from /proc/stat: [busy, total] for each `cpuN` line. */
export function coreTimes(): Map<number, { busy: number; total: number }> {
  const out = new Map<number, { busy: number; total: number }>();
  for (const line of readFileSync("/proc/stat", "utf8").split("\n")) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (m === null) continue;
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    const f = m[2]!.split(/\s+/).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    out.set(Number(m[1]), { busy: total - f[3]! - f[4]!, total });
  }
  return out;
}

/** Share of time (0..1) core `core` was busy between two `coreTimes()` samples; null if unknown. */
export function coreBusy(
  before: Map<number, { busy: number; total: number }>,
  after: Map<number, { busy: number; total: number }>,
  core: number | null,
): number | null {
  if (core === null) return null;
  const a = before.get(core);
  const b = after.get(core);
  if (a === undefined || b === undefined || b.total === a.total) return null;
  return (b.busy - a.busy) / (b.total - a.total);
}
