// shared/contract/quickstart.toml: what `npm install && npm start` serves.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";
import { ROOT, startWeir } from "../lib/weir-process.ts";

async function get(url: string): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get("content-type") ?? "", body: await res.text() };
}

async function checkQuickstart(): Promise<void> {
  const home = await get("http://127.0.0.1:8080/");
  assert.equal(home.status, 200);
  assert.match(home.body, /weir is running/);
  assert.match(home.body, /weir config defaults/);
  assert.equal((await get("http://127.0.0.1:9901/healthz")).status, 200);
  const metrics = await get("http://127.0.0.1:9901/metrics");
  assert.equal(metrics.status, 200);
  assert.match(metrics.type, /^text\/plain; version=0\.0\.4/);
  assert.match(metrics.body, /^# TYPE weir_process_cpu_user_seconds_total counter$/m);
  assert.match(metrics.body, /^weir_connections_total\{listener="web"\} [1-9]/m);
}

test("npm start serves the quickstart: the page, /healthz and /metrics", { timeout: 60_000 }, async () => {
  const npm = spawn("npm", ["start"], { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  npm.stdout.on("data", (d) => {
    log += d;
  });
  npm.stderr.on("data", (d) => {
    log += d;
  });
  const exited = new Promise((r) => npm.once("exit", r));
  try {
    for (let i = 0; i < 100 && !log.includes('"weir started"'); i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.ok(log.includes('"weir started"'), log);
    await checkQuickstart();
  } finally {
    process.kill(-(npm.pid as number), "SIGTERM");
    await exited;
  }
});

test("weir run without --config serves the same built-in quickstart", { timeout: 60_000 }, async () => {
  const weir = startWeir(["run"]);
  await weir.waitFor(/"weir started"/);
  try {
    await checkQuickstart();
  } finally {
    assert.equal(await weir.stop(), 0);
  }
});
