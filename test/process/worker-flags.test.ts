// Workers run with the V8 flags src/process/worker.ts gives them. Without them nothing fails, only
// TLS keep-alive after a burst of handshakes gets 25-35% slower (`npm run bench -- tls`), so this
// guards the flag itself, on the first workers and on one forked to replace a dead worker.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { startWeir } from "../lib/weir-process.ts";
import { childrenOf, configIn, freePort, get, proxyConfig, startOrigin, waitUntil } from "./harness.ts";

const user = process.getuid?.() === 0 ? 'user = "nobody"\ngroup = "nogroup"\n' : "";

function argvOf(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
}

test("workers, first and replacement, run with allocation-site pretenuring off", async (t) => {
  const origin = await startOrigin();
  t.after(() => origin.server.close());
  const port = await freePort();
  const { file } = configIn(proxyConfig({ port, originPort: origin.port, system: `workers = 1\n${user}` }));
  const weir = startWeir(["run", "-c", file], { env: { WEIR_ACCESS_LOG: "false" } });
  t.after(() => weir.stop("SIGKILL"));
  await weir.waitFor(/"weir started"/);
  const supervisor = weir.child.pid as number;
  const [first] = childrenOf(supervisor);
  assert.ok(first !== undefined, "a worker is running");
  assert.ok(
    argvOf(first).includes("--no-allocation-site-pretenuring"),
    `first worker: ${argvOf(first).join(" ")}`,
  );
  assert.ok(
    !argvOf(supervisor).includes("--no-allocation-site-pretenuring"),
    "the supervisor keeps V8's defaults",
  );

  process.kill(first, "SIGKILL");
  await weir.waitFor(/"worker replaced"/, 10_000);
  await waitUntil(() => childrenOf(supervisor).some((pid) => pid !== first), 5_000, "a replacement worker");
  const replacement = childrenOf(supervisor).find((pid) => pid !== first) as number;
  assert.ok(argvOf(replacement).includes("--no-allocation-site-pretenuring"), "replacement worker");
  assert.equal((await get(port, "/")).status, 200, "and it serves");
  assert.equal(await weir.stop(), 0);
});
