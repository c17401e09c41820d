// Start ./bin/weir as a real process, the way users do, and stop it.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const WEIR = fileURLToPath(new URL("../../bin/weir", import.meta.url));
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface WeirProcess {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Wait until a line matching `pattern` appears on stdout or stderr. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM and wait for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

export function tempDir(prefix = "weir-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Write `toml` to a temp file and return its path. */
export function writeConfig(toml: string, dir = tempDir()): string {
  const file = join(dir, "weir.toml");
  writeFileSync(file, toml);
  return file;
}

export function startWeir(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; bin?: string } = {},
): WeirProcess {
  const child = spawn(opts.bin ?? WEIR, args, {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const check = () => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const m = (out + err).split("\n").find((l) => waiters[i].pattern.test(l));
      if (m !== undefined) waiters.splice(i, 1)[0].resolve(m);
    }
  };
  child.stdout?.on("data", (d) => {
    out += d;
    check();
  });
  child.stderr?.on("data", (d) => {
    err += d;
    check();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    exited,
    stdout: () => out,
    stderr: () => err,
    waitFor(pattern, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${pattern}\nstdout:\n${out}\nstderr:\n${err}`)),
          timeoutMs,
        );
        const w = {
          pattern,
          resolve: (line: string) => {
            clearTimeout(timer);
            resolve(line);
          },
        };
        waiters.push(w);
        exited.then(() => {
          if (waiters.includes(w)) {
            clearTimeout(timer);
            reject(new Error(`weir exited while waiting for ${pattern}\nstdout:\n${out}\nstderr:\n${err}`));
          }
        });
        check();
      });
    },
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Run weir to completion (check, config ...) and collect its output. */
export function runWeir(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = startWeir(args, opts);
  return p.exited.then((code) => ({ code, stdout: p.stdout(), stderr: p.stderr() }));
}
