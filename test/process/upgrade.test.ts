// `weir run --upgrade`: a new instance takes the listening sockets over through the upgrade socket under
// load with zero failures; the old one drains and exits 0, removing nothing the new one serves.
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { connectTo } from "../lib/net.ts";
import { startWeir } from "../lib/weir-process.ts";
import { configIn, freePort, get, proxyConfig, sleep, startLoad, startOrigin } from "./harness.ts";

const user = process.getuid?.() === 0 ? 'user = "nobody"\ngroup = "nogroup"\n' : "";

test("upgrade through the upgrade socket under load: zero failures, old instance exits 0", async (t) => {
  const origin = await startOrigin();
  t.after(() => origin.server.close());
  const port = await freePort();
  const { dir, file } = configIn("");
  const upgradeSocket = join(dir, "upgrade.sock");
  const pidFile = join(dir, "weir.pid");
  const unixListener = join(dir, "web.sock");
  const toml = proxyConfig({
    port,
    originPort: origin.port,
    system: `workers = 2\ngrace_period = "1s"\nupgrade_socket = "${upgradeSocket}"\npid_file = "${pidFile}"\n${user}`,
    extraListeners: `\n[listeners.local]\naddress = "unix:${unixListener}"\nprotocol = "tcp"\nupstream = "origin"\n`,
  });
  writeFileSync(file, toml);

  const old = startWeir(["run", "-c", file], { env: { WEIR_ACCESS_LOG: "false" } });
  t.after(() => old.stop("SIGKILL"));
  await old.waitFor(/"weir started"/);
  assert.equal(readFileSync(pidFile, "utf8").trim(), String(old.child.pid));
  assert.equal(statSync(upgradeSocket).mode & 0o777, 0o600, "upgrade socket is private to weir's user");

  const load = startLoad(port);
  await sleep(500);
  const next = startWeir(["run", "--upgrade", "-c", file], { env: { WEIR_ACCESS_LOG: "false" } });
  t.after(() => next.stop("SIGKILL"));
  await next.waitFor(/"weir started"/, 15_000);
  assert.equal(await old.exited, 0, "the old instance drained and exited 0");
  await sleep(500);
  const stats = await load.stop();
  t.diagnostic(
    `requests ok ${stats.ok}, failed ${stats.failed}, retried on reused connections ${stats.retried}`,
  );
  assert.deepEqual(stats.errors, []);
  assert.equal(stats.failed, 0);
  assert.ok(stats.ok > 100, `the load ran (${stats.ok} requests)`);

  // What the new instance serves is still there after the old one left.
  assert.equal(readFileSync(pidFile, "utf8").trim(), String(next.child.pid));
  assert.ok(existsSync(upgradeSocket), "upgrade socket kept for the new instance");
  const viaUnix = await connectTo({ path: unixListener });
  viaUnix.end("GET / HTTP/1.0\r\n\r\n");
  const reply = await new Promise<string>((resolve) => {
    let data = "";
    viaUnix.on("data", (c) => {
      data += c;
    });
    viaUnix.on("close", () => resolve(data));
  });
  assert.match(reply, /^HTTP\/1\.1 200/);
  assert.equal((await get(port, "/")).status, 200);

  // And a second upgrade works from the socket the first one inherited.
  const third = startWeir(["run", "--upgrade", "-c", file]);
  t.after(() => third.stop("SIGKILL"));
  await third.waitFor(/"weir started"/, 15_000);
  assert.equal(await next.exited, 0);
  assert.equal((await get(port, "/")).status, 200);

  assert.equal(await third.stop(), 0);
  assert.ok(!existsSync(pidFile), "pid file removed on stop");
  assert.ok(!existsSync(upgradeSocket), "upgrade socket removed on stop");
  assert.ok(!existsSync(unixListener), "unix listener socket removed on stop");
});

test("--upgrade without a running instance fails with a clear message", async () => {
  const port = await freePort();
  const { dir, file } = configIn("");
  writeFileSync(
    file,
    proxyConfig({
      port,
      originPort: 1,
      system: `workers = 1\nupgrade_socket = "${join(dir, "u.sock")}"\n${user}`,
    }),
  );
  const weir = startWeir(["run", "--upgrade", "-c", file]);
  assert.equal(await weir.exited, 1);
  assert.match(weir.stderr(), /no weir instance to upgrade at .*u\.sock/);
});
