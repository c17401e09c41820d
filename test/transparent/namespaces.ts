// The test side of the tests that build a network namespace: guards (they need root, unshare, ip and
// iptables), the run of a script in a namespace of its own, and the suite of checks on the JSON a
// scenario prints (kit.ts is the namespace side).
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { before, test } from "node:test";
import { promisify } from "node:util";

/** The programs missing from PATH, among `names`. */
export function missingCommands(names: string[]): string[] {
  return names.filter((name) => spawnSync("sh", ["-c", `command -v ${name}`]).status !== 0);
}

/** Why namespace tests cannot run here, or undefined when they can. On CI a reason is a failure. */
export function namespaceProblem(extra: string[] = []): string | undefined {
  const missing = missingCommands(["unshare", "ip", "iptables", "ip6tables", ...extra]);
  const why =
    missing.length > 0
      ? `needs ${missing.join(", ")} (apt-get install iptables iproute2 util-linux)`
      : process.getuid?.() === 0
        ? undefined
        : "needs root (network namespaces and iptables)";
  if (why !== undefined && process.env.CI === "true") assert.fail(`this test ${why}`);
  return why;
}

/** Skips `t` unless namespace tests can run (fails instead on CI). */
export function needsNamespaces(t: test.TestContext, extra: string[] = []): boolean {
  const why = namespaceProblem(extra);
  if (why !== undefined) t.skip(why);
  return why === undefined;
}

/**
 * Runs the TypeScript file `script` with this Node in a fresh network namespace (`unshare --net --fork`;
 * the namespace goes away with its last process) and parses the one JSON value it prints. Rejects when
 * the script fails or outlives `timeoutMs`.
 */
export async function runInNamespace(script: string, timeoutMs: number): Promise<unknown> {
  const { stdout } = await promisify(execFile)("unshare", ["--net", "--fork", process.execPath, script], {
    timeout: timeoutMs,
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout);
}

/** What every scenario prints (kit.ts reportScenario) besides what its clients saw. */
export interface ScenarioOutcome {
  /** Set when weir did not start or a client threw: the scenario's clients did not all run. */
  error?: string;
  exitCode: number;
  weirStdout: string;
  weirStderr: string;
}

/** The JSON lines of weir's access log (stdout). */
export function accessLines(o: ScenarioOutcome): Record<string, unknown>[] {
  return o.weirStdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.log === "access");
}

/**
 * For use inside a `describe`: runs `script` once in a namespace before the suite's tests (failing it
 * when the scenario reports an error, with weir's stderr) and returns `check(name, fn)`, which declares a
 * test of `fn` on the outcome. Without root or the programs (`extra`: more than namespaceProblem's), every
 * test is skipped with the reason; on CI the suite fails instead.
 */
export function scenarioChecks<O extends ScenarioOutcome>(
  script: string,
  extra: string[] = [],
): (name: string, fn: (o: O) => void) => void {
  let outcome: O | undefined;
  const skipped = namespaceProblem(extra);
  before(async () => {
    if (skipped !== undefined) return;
    outcome = (await runInNamespace(script, 60_000)) as O;
    assert.equal(outcome.error, undefined, `${outcome.error}\n${outcome.weirStderr}`);
  });
  return (name, fn) =>
    test(name, (t) => {
      if (skipped !== undefined) return t.skip(skipped);
      fn(outcome!);
    });
}
