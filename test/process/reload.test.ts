// SIGHUP reloads: under load none loses a connection or a request; a slow request in flight completes,
// one longer than the grace period is cut after it; an invalid config keeps the old one serving.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { test } from "node:test";
import { startWeir } from "../lib/weir-process.ts";
import {
  childrenOf,
  configIn,
  freePort,
  get,
  proxyConfig,
  sleep,
  startLoad,
  startOrigin,
} from "./harness.ts";

const user = process.getuid?.() === 0 ? 'user = "nobody"\ngroup = "nogroup"\n' : "";

test("10 SIGHUP reloads in a row under load: zero failed connections or requests", async (t) => {
  const origin = await startOrigin();
  t.after(() => origin.server.close());
  const port = await freePort();
  const { file } = configIn(
    proxyConfig({ port, originPort: origin.port, system: `workers = 2\ngrace_period = "1s"\n${user}` }),
  );
  const weir = startWeir(["run", "-c", file], { env: { WEIR_ACCESS_LOG: "false" } });
  t.after(() => weir.stop("SIGKILL"));
  await weir.waitFor(/"weir started"/);
  const supervisor = weir.child.pid as number;

  const load = startLoad(port);
  await sleep(300);
  const reloadMs: number[] = [];
  for (let i = 1; i <= 10; i++) {
    const before = childrenOf(supervisor);
    weir.child.kill("SIGHUP");
    const line = await weir.waitFor(new RegExp(`"generation":${i + 1},"ms":\\d+.*"config reloaded`), 15_000);
    reloadMs.push(JSON.parse(line).ms);
    const after = JSON.parse(line).pids as number[];
    assert.equal(after.length, 2);
    for (const pid of after) assert.ok(!before.includes(pid), "reload started new workers");
    await sleep(100);
  }
  await sleep(300);
  const stats = await load.stop();
  t.diagnostic(
    `requests ok ${stats.ok}, failed ${stats.failed}, retried on reused connections ${stats.retried}; ` +
      `SIGHUP to new workers serving: ${reloadMs.join(", ")} ms`,
  );
  assert.deepEqual(stats.errors, []);
  assert.equal(stats.failed, 0);
  assert.ok(stats.ok > 200, `the load ran (${stats.ok} requests)`);
  assert.equal(await weir.stop(), 0);
});

test("in-flight slow request completes across a reload; one longer than grace is cut after grace", async (t) => {
  const origin = await startOrigin();
  t.after(() => origin.server.close());
  const port = await freePort();
  const { file } = configIn(
    proxyConfig({ port, originPort: origin.port, system: `workers = 1\ngrace_period = "3s"\n${user}` }),
  );
  const weir = startWeir(["run", "-c", file]);
  t.after(() => weir.stop("SIGKILL"));
  await weir.waitFor(/"weir started"/);

  const slow = get(port, "/slow?ms=2000");
  const tooSlow = get(port, "/slow?ms=8000").then(
    (r) => ({ ...r, error: undefined }),
    (error: Error) => ({ error, ms: 0 }),
  );
  await sleep(200);
  const hup = Date.now();
  weir.child.kill("SIGHUP");
  await weir.waitFor(/"generation":2,"ms"/);
  const fresh = await get(port, "/");
  assert.equal(fresh.status, 200, "new workers serve");

  const done = await slow;
  assert.equal(done.status, 200);
  assert.equal(done.body, "ok /slow\n");
  const cut = await tooSlow;
  const cutAfter = Date.now() - hup;
  assert.ok(cut.error, "the 8 s request was cut");
  assert.ok(cutAfter >= 2_900 && cutAfter < 6_000, `cut ${cutAfter} ms after SIGHUP (grace 3 s)`);
  await weir.waitFor(/"generation":1,"msg":"old workers drained"/);
  assert.equal(await weir.stop(), 0);
});

test("an invalid config on SIGHUP: every problem logged, the old config keeps serving", async (t) => {
  const origin = await startOrigin();
  t.after(() => origin.server.close());
  const port = await freePort();
  const toml = proxyConfig({ port, originPort: origin.port, system: `workers = 1\n${user}` });
  const { file } = configIn(toml);
  const weir = startWeir(["run", "-c", file]);
  t.after(() => weir.stop("SIGKILL"));
  await weir.waitFor(/"weir started"/);
  const pids = childrenOf(weir.child.pid as number);

  writeFileSync(file, `${toml}\n[listeners.bad]\naddress = "nowhere"\nbogus = 1\n`);
  weir.child.kill("SIGHUP");
  await weir.waitFor(/config reload failed; still serving/);
  assert.match(weir.stdout() + weir.stderr(), /listeners\.bad\.address/);
  assert.match(weir.stdout() + weir.stderr(), /unknown key \\?"bogus\\?"/);
  assert.deepEqual(childrenOf(weir.child.pid as number), pids, "the same workers still serve");
  assert.equal((await get(port, "/")).status, 200);
  assert.equal(await weir.stop(), 0);
});
