// Guards for the tests that build a network namespace: they need root, unshare, ip and iptables.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import type { test } from "node:test";

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
