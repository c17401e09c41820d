// shared/contract/processes.toml (examples/processes.toml), as its comments say: started as root, the
// supervisor binds 127.0.0.1:80 and 2 workers run as nobody:nogroup; SIGHUP reloads onto new workers and
// `weir run --upgrade` hands the sockets to a new instance; under load neither loses a request.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { test } from "node:test";
import { ROOT, startWeir } from "../lib/weir-process.ts";
import { childrenOf, idsOf, isRoot, startLoad } from "./harness.ts";

const CONTRACT = "examples/processes.toml";
const httpEngine = existsSync(`${ROOT}/src/http/index.ts`);
const reason = !isRoot
  ? "the contract binds port 80 and switches to nobody: needs root"
  : !httpEngine
    ? "its listeners are protocol http: needs the HTTP engine (src/http), not built yet"
    : false;

test("contract: processes.toml", { skip: reason }, async (t) => {
  const origin = createServer((_req, res) => res.end("ok /\n"));
  await new Promise<void>((resolve) => origin.listen(20001, "127.0.0.1", resolve));
  t.after(() => origin.close());
  const env = { WEIR_ACCESS_LOG: "false" };
  const first = startWeir(["run", "-c", CONTRACT], { env });
  t.after(() => first.stop("SIGKILL"));
  await first.waitFor(/"weir started"/);
  const workers = childrenOf(first.child.pid as number);
  assert.equal(workers.length, 2);
  for (const pid of workers) assert.equal(idsOf(pid).uids[1], 65534, "workers run as nobody");
  assert.equal(readFileSync("/tmp/weir-contract.pid", "utf8").trim(), String(first.child.pid));

  for (const port of [80, 20080]) {
    const load = startLoad(port);
    await new Promise((r) => setTimeout(r, 300));
    first.child.kill("SIGHUP");
    await first.waitFor(/"generation":\d+,"ms":\d+.*config reloaded/, 15_000);
    await new Promise((r) => setTimeout(r, 300));
    const stats = await load.stop();
    assert.equal(stats.failed, 0, `reload, port ${port}: ${stats.errors.join("; ")}`);
  }

  const load = startLoad(20080);
  const second = startWeir(["run", "--upgrade", "-c", CONTRACT], { env });
  t.after(() => second.stop("SIGKILL"));
  await second.waitFor(/"weir started"/, 15_000);
  assert.equal(await first.exited, 0);
  const stats = await load.stop();
  assert.equal(stats.failed, 0, `upgrade: ${stats.errors.join("; ")}`);
  assert.equal(await second.stop(), 0);
});
