// 200 concurrent keep-alive connections for a few seconds through weir: zero errors, and afterwards no
// client socket, pooled request or upstream request left behind.
import assert from "node:assert/strict";
import { Agent, request } from "node:http";
import { test } from "node:test";
import { acquirePools, releasePools } from "../../src/upstream/pool/index.ts";
import { config, connectionCount, startOrigin, startProxy } from "./harness.ts";

const CONNECTIONS = 200;
const DURATION_MS = 3_000;

test("200 keep-alive connections for 3 s: no errors, nothing leaked", async (t) => {
  const body = Buffer.alloc(1024, 97);
  const origin = await startOrigin(t, (_req, res) => res.end(body));
  const p = await startProxy(
    t,
    config(
      `[listeners.web]\naddress = "127.0.0.1:1"\n[[routes]]\nupstream = "o"\n[upstreams.o]\nendpoints = ["127.0.0.1:${origin.port}"]\nmax_connections = 64\n`,
    ),
  );
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const deadline = Date.now() + DURATION_MS;
  let ok = 0;
  const errors: string[] = [];
  const one = () =>
    new Promise<void>((resolve) => {
      const req = request({ port: p.port, host: "127.0.0.1", path: "/", agent }, (res) => {
        let n = 0;
        res.on("data", (c: Buffer) => {
          n += c.length;
        });
        res.on("end", () => {
          if (res.statusCode === 200 && n === body.length) ok++;
          else errors.push(`status ${res.statusCode} bytes ${n}`);
          resolve();
        });
      });
      req.on("error", (e) => {
        errors.push(e.message);
        resolve();
      });
      req.end();
    });
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (Date.now() < deadline) await one();
    }),
  );
  assert.deepEqual(errors.slice(0, 5), []);
  assert.ok(ok > 1_000, `only ${ok} requests`);
  assert.equal(await connectionCount(p.server), CONNECTIONS, "keep-alive: one connection per client");

  agent.destroy();
  const until = Date.now() + 2_000;
  while ((await connectionCount(p.server)) > 0 && Date.now() < until)
    await new Promise((r) => setTimeout(r, 20));
  assert.equal(await connectionCount(p.server), 0, "no client socket left");
  const pools = acquirePools(p.gen);
  const stats = pools.stats();
  await releasePools(p.gen, 0);
  assert.equal(stats.running, 0, "no upstream request left running");
  assert.equal(stats.pending, 0, "no upstream request left queued");
  assert.ok(stats.connected <= 64, "the pool respects max_connections");
});
