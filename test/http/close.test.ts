// Graceful drain: in-flight requests finish, idle keep-alive connections close, and close() resolves;
// what outlives the grace period is destroyed.
import assert from "node:assert/strict";
import { test } from "node:test";
import { config, connectionCount, run, startOrigin, startProxy } from "./harness.ts";

test("close(grace) lets an in-flight request finish, then resolves with no connection left", async (t) => {
  const origin = await startOrigin(t, (_req, res) => {
    setTimeout(() => res.end("done"), 300);
  });
  const p = await startProxy(
    t,
    config(
      `[listeners.web]\naddress = "127.0.0.1:1"\n[[routes]]\nupstream = "o"\n[upstreams.o]\nendpoints = ["127.0.0.1:${origin.port}"]\n`,
    ),
  );
  const inflight = run("curl", ["-sS", "-i", `http://127.0.0.1:${p.port}/`]);
  await new Promise((r) => setTimeout(r, 100));
  const started = Date.now();
  await p.svc.close(3_000);
  const r = await inflight;
  assert.match(r.stdout, /^HTTP\/1\.1 200 [\s\S]*connection: close[\s\S]*done$/i);
  assert.ok(Date.now() - started < 2_000, "close resolved once the request was done");
  assert.equal(await connectionCount(p.server), 0);
});

test("close(grace) destroys what is still running when the grace period ends", async (t) => {
  const origin = await startOrigin(t, (_req, res) => {
    setTimeout(() => res.end("too late"), 5_000).unref();
  });
  const p = await startProxy(
    t,
    config(
      `[listeners.web]\naddress = "127.0.0.1:1"\n[[routes]]\nupstream = "o"\n[upstreams.o]\nendpoints = ["127.0.0.1:${origin.port}"]\n`,
    ),
  );
  const inflight = run("curl", ["-sS", `http://127.0.0.1:${p.port}/`]);
  await new Promise((r) => setTimeout(r, 100));
  const started = Date.now();
  await p.svc.close(300);
  assert.ok(Date.now() - started < 1_500);
  assert.notEqual((await inflight).code, 0, "the client saw its connection cut");
});
