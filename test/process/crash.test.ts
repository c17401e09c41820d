// kill -9 a worker under load: the other keeps serving, the supervisor forks a replacement.
import assert from "node:assert/strict";
import { test } from "node:test";
import { startWeir } from "../lib/weir-process.ts";
import {
  childrenOf,
  configIn,
  freePort,
  proxyConfig,
  sleep,
  startLoad,
  startOrigin,
  waitUntil,
} from "./harness.ts";

const user = process.getuid?.() === 0 ? 'user = "nobody"\ngroup = "nogroup"\n' : "";

test("a worker killed with SIGKILL under load is replaced; the others keep serving", async (t) => {
  const origin = await startOrigin();
  t.after(() => origin.server.close());
  const port = await freePort();
  const { file } = configIn(proxyConfig({ port, originPort: origin.port, system: `workers = 2\n${user}` }));
  const weir = startWeir(["run", "-c", file], { env: { WEIR_ACCESS_LOG: "false" } });
  t.after(() => weir.stop("SIGKILL"));
  await weir.waitFor(/"weir started"/);
  const supervisor = weir.child.pid as number;
  const [victim, survivor] = childrenOf(supervisor);

  const load = startLoad(port, { keepAlive: 4, fresh: 2 });
  await sleep(300);
  process.kill(victim, "SIGKILL");
  const killedAt = { ...load.stats };
  await weir.waitFor(/"worker died; replacing it"/);
  await sleep(300);
  const servedMeanwhile = load.stats.ok - killedAt.ok;
  await weir.waitFor(/"worker replaced"/, 5_000);
  await waitUntil(() => childrenOf(supervisor).length === 2, 5_000, "two workers again");
  const now = childrenOf(supervisor);
  assert.ok(now.includes(survivor), "the other worker was left alone");
  assert.ok(!now.includes(victim));
  const beforeNew = load.stats.ok;
  await sleep(300);
  const stats = await load.stop();
  t.diagnostic(
    `ok ${stats.ok} (${servedMeanwhile} in the 300 ms after the kill), failed ${stats.failed}, retried ${stats.retried}: ${stats.errors.join("; ")}`,
  );
  assert.ok(servedMeanwhile > 20, "requests kept succeeding right after the kill");
  assert.ok(stats.ok > beforeNew, "and after the replacement");
  // Only requests in flight on the killed worker's connections can fail: at most one per client loop.
  assert.ok(stats.failed <= 6, `${stats.failed} failures`);
  assert.equal(await weir.stop(), 0);
});
