// Two stages: as root the supervisor binds a port below 1024 and the workers run as nobody:nogroup (read
// from /proc); as an unprivileged user the whole of weir runs as that user on high ports.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { startWeir, WEIR } from "../lib/weir-process.ts";
import {
  childrenOf,
  configIn,
  freePort,
  get,
  idsOf,
  isRoot,
  proxyConfig,
  startOrigin,
  startThrough,
} from "./harness.ts";

const NOBODY = 65534;
const NOGROUP = 65534;
const rootReason = isRoot ? false : "needs root (workers switch user, a port below 1024 is bound)";
const inCi = process.env.CI === "true";

test("as root: supervisor binds a port below 1024, workers run as nobody:nogroup", {
  skip: !inCi && rootReason,
}, async (t) => {
  const origin = await startOrigin();
  t.after(() => origin.server.close());
  const port = await freePort("127.0.0.1", true);
  const { file } = configIn(
    proxyConfig({ port, originPort: origin.port, system: 'workers = 2\nuser = "nobody"\ngroup = "nogroup"' }),
  );
  const weir = startWeir(["run", "-c", file]);
  t.after(() => weir.stop("SIGKILL"));
  await weir.waitFor(/"weir started"/);

  const supervisor = weir.child.pid as number;
  assert.deepEqual(idsOf(supervisor).uids, [0, 0, 0, 0], "the supervisor keeps the launching user");
  const workers = childrenOf(supervisor);
  assert.equal(workers.length, 2);
  for (const pid of workers) {
    const ids = idsOf(pid);
    assert.deepEqual(
      ids.uids,
      [NOBODY, NOBODY, NOBODY, NOBODY],
      `worker ${pid} uid (real, effective, saved, fs)`,
    );
    assert.deepEqual(ids.gids, [NOGROUP, NOGROUP, NOGROUP, NOGROUP], `worker ${pid} gid`);
    assert.ok(!ids.groups.includes(0), `worker ${pid} kept no root supplementary group: ${ids.groups}`);
  }
  const reply = await get(port, "/");
  assert.equal(reply.status, 200, `served on port ${port}`);
  assert.equal(await weir.stop(), 0);
});

test("as root without system.user: workers keep the launching user, with a warning", {
  skip: !inCi && rootReason,
}, async (t) => {
  const origin = await startOrigin();
  t.after(() => origin.server.close());
  const port = await freePort();
  const { file } = configIn(proxyConfig({ port, originPort: origin.port, system: "workers = 1" }));
  const weir = startWeir(["run", "-c", file], { env: { WEIR_ALLOW_ROOT_WORKERS: "false" } });
  t.after(() => weir.stop());
  await weir.waitFor(/workers run as root because weir was started as root without system\.user/);
  await weir.waitFor(/"weir started"/);
  const reply = await get(port, "/");
  assert.equal(reply.status, 200);
  assert.equal(await weir.stop(), 0);
});

test('system.user = "root" is refused unless allow_root_workers', {
  skip: !inCi && rootReason,
}, async () => {
  const port = await freePort();
  const { file } = configIn(proxyConfig({ port, originPort: 1, system: 'workers = 1\nuser = "root"' }));
  const weir = startWeir(["run", "-c", file], { env: { WEIR_ALLOW_ROOT_WORKERS: "false" } });
  assert.equal(await weir.exited, 1);
  assert.match(weir.stderr(), /system\.user "root" is root; set system\.allow_root_workers = true/);
});

const setpriv = spawnSync("setpriv", ["--version"]).status === 0;
const unprivReason = !isRoot
  ? "the test becomes nobody with setpriv, which needs root"
  : !setpriv
    ? "setpriv (util-linux) is not installed"
    : false;

test("as an unprivileged user on high ports: supervisor and workers are that user", {
  skip: !inCi && unprivReason,
}, async (t) => {
  const origin = await startOrigin();
  t.after(() => origin.server.close());
  const port = await freePort();
  const { file } = configIn(proxyConfig({ port, originPort: origin.port, system: "workers = 2" }));
  // setpriv exec()s weir, so the spawned pid is weir's supervisor.
  const weir = startThrough(
    "setpriv",
    ["--reuid=nobody", "--regid=nogroup", "--clear-groups", WEIR, "run", "-c", file],
    {
      cwd: "/",
    },
  );
  t.after(() => weir.stop("SIGKILL"));
  await weir.waitFor(/"weir started"/);
  const supervisor = weir.child.pid as number;
  assert.equal(idsOf(supervisor).uids[1], NOBODY);
  const workers = childrenOf(supervisor);
  assert.equal(workers.length, 2);
  for (const pid of workers) {
    assert.deepEqual(idsOf(pid).uids, [NOBODY, NOBODY, NOBODY, NOBODY]);
    assert.deepEqual(idsOf(pid).groups, []);
  }
  assert.equal((await get(port, "/")).status, 200);
  assert.equal(await weir.stop(), 0);
});
