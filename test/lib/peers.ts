// Peer programs the tests talk to. A missing one skips the test on a developer's machine and fails it on
// CI (CI=true), where .ci/run has installed every one of them.
import { execFileSync } from "node:child_process";
import type { TestContext } from "node:test";

const found = new Map<string, boolean>();

export function hasProgram(name: string): boolean {
  let ok = found.get(name);
  if (ok === undefined) {
    try {
      execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
      ok = true;
    } catch {
      ok = false;
    }
    found.set(name, ok);
  }
  return ok;
}

/** True when every program is there; otherwise skips `t` (or throws on CI) and returns false. */
export function requirePrograms(t: TestContext, ...names: string[]): boolean {
  const missing = names.filter((n) => !hasProgram(n));
  if (missing.length === 0) return true;
  const why = `needs ${missing.join(", ")} (installed by .ci/run)`;
  if (process.env.CI === "true") throw new Error(`${why}: missing on CI`);
  t.skip(why);
  return false;
}
