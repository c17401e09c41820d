import assert from "node:assert/strict";
import { test } from "node:test";
import { Pool } from "undici";
import { ClientPools } from "./client-pools.ts";

function pool(): Pool {
  return new Pool("http://127.0.0.1:9");
}

test("one pool per key, reused; past the bound the least recently used is closed", async () => {
  const pools = new ClientPools(2);
  const a = pools.get("a", pool, 0);
  const b = pools.get("b", pool, 1);
  assert.equal(pools.get("a", pool, 2), a);
  const c = pools.get("c", pool, 3); // evicts b: a was used more recently
  assert.equal(pools.size, 2);
  await new Promise((r) => setImmediate(r));
  assert.equal(b.closed, true);
  assert.equal(a.closed, false);
  assert.notEqual(pools.get("b", pool, 4), b, "an evicted key gets a new pool");
  for (const p of [a, c, ...pools.pools()]) await p.close().catch(() => {});
});

test("sweep closes pools idle for idleMs and keeps recently used ones", async () => {
  const pools = new ClientPools();
  const old = pools.get("old", pool, 0);
  const fresh = pools.get("fresh", pool, 9_000);
  pools.sweep(10_000, 5_000);
  assert.equal(pools.size, 1);
  await new Promise((r) => setImmediate(r));
  assert.equal(old.closed, true);
  assert.equal(fresh.closed, false);
  await fresh.close();
});
