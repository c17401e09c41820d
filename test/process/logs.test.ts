// SIGUSR1 after a rotation: the supervisor creates the new log file (handing it to the workers' user) and
// every process reopens it. Also `weir reload` / `weir stop` through the pid file.
import assert from "node:assert/strict";
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { runWeir, startWeir } from "../lib/weir-process.ts";
import { configIn, freePort, get, isRoot, proxyConfig, startOrigin, waitUntil } from "./harness.ts";

const user = isRoot ? 'user = "nobody"\ngroup = "nogroup"\n' : "";

test("SIGUSR1 reopens log files after rotation; weir reload and weir stop find weir by its pid file", async (t) => {
  const origin = await startOrigin();
  t.after(() => origin.server.close());
  const port = await freePort();
  const { dir, file } = configIn("");
  const log = join(dir, "logs", "weir.log");
  const pidFile = join(dir, "weir.pid");
  writeFileSync(
    file,
    `${proxyConfig({ port, originPort: origin.port, system: `workers = 1\npid_file = "${pidFile}"\n${user}` })}
[log]
output = "logs/weir.log"
[access_log]
output = "logs/weir.log"
`,
  );
  const weir = startWeir(["run", "-c", file]);
  t.after(() => weir.stop("SIGKILL"));
  await waitUntil(
    () => existsSync(log) && readFileSync(log, "utf8").includes('"weir started"'),
    10_000,
    "started",
  );
  if (isRoot) assert.equal(statSync(log).uid, 65534, "the log file belongs to the workers' user");

  renameSync(log, `${log}.1`);
  weir.child.kill("SIGUSR1");
  await waitUntil(() => existsSync(log), 5_000, "a new log file");
  await new Promise((r) => setTimeout(r, 300)); // the worker reopens after the supervisor's message
  assert.equal((await get(port, "/")).status, 200);
  await waitUntil(
    () => readFileSync(log, "utf8").includes('"type":"tcp"'),
    5_000,
    "the worker's access line in the new file",
  );
  if (isRoot) assert.equal(statSync(log).uid, 65534);

  const reload = await runWeir(["reload", "-c", file]);
  assert.equal(reload.code, 0, reload.stderr);
  await waitUntil(() => readFileSync(log, "utf8").includes("config reloaded"), 10_000, "reloaded");
  const stop = await runWeir(["stop", "-c", file]);
  assert.equal(stop.code, 0, stop.stderr);
  assert.match(stop.stdout, /stopped/);
  assert.equal(await weir.exited, 0);
  assert.ok(!existsSync(pidFile));
});
