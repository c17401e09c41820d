/**
 * Child processes for benchmarks: pinned to one CPU core with `taskset`
 * (which execs the command, so the pid we hold is the command's own), with
 * the tail of their output kept for error messages, and a stop that escalates
 * from SIGTERM to SIGKILL.
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

export interface Running {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** The last few KiB of stdout and stderr, for telling why something failed. */
  output(): string;
  /** True once the process has exited. */
  exited(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

const TAIL_BYTES = 4096;

/** Starts `cmd args`, pinned to `core` when given (null: not pinned). */
export function spawnPinned(
  name: string,
  core: number | null,
  cmd: string,
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Running {
  const argv = core === null ? [cmd, ...args] : ["taskset", "-c", String(core), cmd, ...args];
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let tail = "";
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString("utf8")).slice(-TAIL_BYTES);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  child.on("error", (err) => keep(Buffer.from(`spawn error: ${err.message}\n`)));
  let gone = false;
  const exit = once(child, "exit").then(() => {
    gone = true;
  });
  return {
    name,
    child,
    pid: child.pid ?? -1,
    output: () => tail.trim(),
    exited: () => gone || child.exitCode !== null,
    async stop(graceMs = 2000) {
      if (gone || child.exitCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** Runs a command to completion, pinned like spawnPinned; resolves with its exit code and output. */
export async function runPinned(
  core: number | null,
  cmd: string,
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const argv = core === null ? [cmd, ...args] : ["taskset", "-c", String(core), cmd, ...args];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on("data", (c: Buffer) => out.push(c));
  child.stderr.on("data", (c: Buffer) => err.push(c));
  const [code] = (await once(child, "close")) as [number | null];
  return { code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") };
}

/** The absolute path of an executable on PATH, or null. */
export function which(name: string): string | null {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return null;
}

/** stdout+stderr of a short command (`nginx -V` prints to stderr), or null if it could not run. */
export function commandText(cmd: string, args: readonly string[]): string | null {
  const r = spawnSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 10_000 });
  return r.error === undefined ? `${r.stdout}${r.stderr}` : null;
}
