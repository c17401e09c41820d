// The container case without a container engine: weir as PID 1 of a new PID namespace, no terminal,
// config from environment variables and a mounted file, a read-only working directory. It serves, and
// SIGTERM stops it gracefully within the grace period (Node as PID 1 that ignores SIGTERM is the classic
// failure: the kernel drops signals PID 1 has no handler for).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { WEIR } from "../lib/weir-process.ts";
import { childrenOf, configIn, freePort, get, isRoot, startOrigin, startThrough } from "./harness.ts";

const unshare = spawnSync("unshare", ["--version"]).status === 0;
const reason = !isRoot
  ? "unshare --pid and a read-only bind mount need root"
  : !unshare
    ? "unshare (util-linux) is not installed"
    : false;

test("PID 1 in a new PID namespace, read-only cwd, env + file config: serves, SIGTERM stops it in grace", {
  skip: process.env.CI !== "true" && reason,
}, async (t) => {
  const origin = await startOrigin();
  t.after(() => origin.server.close());
  const port = await freePort();
  const adminPort = await freePort();
  // The mounted file holds the listener and upstream; the environment the rest.
  const { dir, file } = configIn(`
[system]
user = "nobody"
group = "nogroup"
grace_period = "3s"

[listeners.web]
address = "127.0.0.1:${port}"
protocol = "tcp"
upstream = "origin"

[upstreams.origin]
endpoints = ["127.0.0.1:${origin.port}"]
`);
  const script = [
    'mount --bind "$RO" "$RO"',
    'mount -o remount,bind,ro "$RO"',
    'cd "$RO"',
    'if touch .probe 2>/dev/null; then echo "working dir is writable"; exit 3; fi',
    'exec "$WEIR" run',
  ].join(" && ");
  const weir = startThrough("unshare", ["--pid", "--fork", "--mount-proc", "sh", "-c", script], {
    detached: true, // a new session: no controlling terminal
    env: {
      RO: dir,
      WEIR,
      WEIR_CONFIG: file,
      WEIR_WORKERS: "2",
      WEIR_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
      WEIR_LOG_LEVEL: "info",
    },
  });
  t.after(() => weir.stop("SIGKILL"));
  const started = JSON.parse(await weir.waitFor(/"weir started"/, 15_000));
  assert.equal(started.pid, 1, "weir is PID 1 of its namespace");
  assert.equal(started.workers, 2, "workers from WEIR_WORKERS");
  assert.equal((await get(port, "/")).status, 200);
  assert.equal((await get(adminPort, "/readyz")).status, 200, "admin address from WEIR_ADMIN_LISTEN");

  const [pid1] = childrenOf(weir.child.pid as number); // unshare's child: weir, PID 1 inside
  assert.ok(pid1 > 0);
  const inFlight = get(port, "/slow?ms=1000");
  await new Promise((r) => setTimeout(r, 200));
  const sent = Date.now();
  process.kill(pid1, "SIGTERM");
  const code = await weir.exited;
  const took = Date.now() - sent;
  assert.equal(code, 0, weir.output());
  assert.ok(took < 3_000, `stopped ${took} ms after SIGTERM (grace 3 s)`);
  assert.equal((await inFlight).status, 200, "the in-flight request finished first");
});
