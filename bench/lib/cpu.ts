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
