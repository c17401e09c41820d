// Token bucket rate limits over real sockets: bursts, the steady rate, delay, several limits at once,
// the bounded bucket map, and two weir instances sharing one limit in Redis.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { LocalBuckets } from "../../src/filters/rate-limit/local.ts";
import { originConfig, send, sleep, startOrigin, startWeir } from "./harness.ts";
import { startRedis } from "./redis.ts";

describe("local buckets", () => {
  test("a burst beyond `burst` gets 429 with Retry-After; the steady rate gets none", async (t) => {
    const origin = await startOrigin(t);
    const weir = await startWeir(
      t,
      originConfig(origin.port, {
        filters: `[[routes.filters]]\nkind = "rate_limit"\nkey = "client_addr"\nrate = 2\nburst = 5`,
      }),
    );
    const burst = await Promise.all(Array.from({ length: 8 }, () => send(weir.port, "/")));
    const statuses = burst.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429, 429]);
    const refused = burst.find((r) => r.status === 429)!;
    assert.equal(refused.headers["retry-after"], "1");
    assert.equal(origin.seen.length, 5, "refused requests never reach the origin");
    // Another client has its own bucket; the key is the address, not address:port.
    assert.equal((await send(weir.port, "/", { localAddress: "127.0.0.2" })).status, 200);
  });

  test("requests at the steady rate are never refused", async (t) => {
    const origin = await startOrigin(t);
    const weir = await startWeir(
      t,
      originConfig(origin.port, { filters: `[[routes.filters]]\nkind = "rate_limit"\nrate = 20\nburst = 2` }),
    );
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      statuses.push((await send(weir.port, "/")).status);
      await sleep(60); // ~16/s, under the rate of 20/s
    }
    assert.deepEqual(statuses, Array(12).fill(200));
  });

  test('over_limit = "delay" holds requests for their token instead of refusing, up to max_delay', async (t) => {
    const origin = await startOrigin(t);
    const weir = await startWeir(
      t,
      originConfig(origin.port, {
        filters: `[[routes.filters]]\nkind = "rate_limit"\nrate = 10\nburst = 1\nover_limit = "delay"\nmax_delay = "250ms"`,
      }),
    );
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: 5 }, () => send(weir.port, "/")));
    const elapsed = performance.now() - started;
    const statuses = results.map((r) => r.status).sort();
    // Tokens at 0, 100, 200 ms (+ up to 250 ms of delay): three pass, late; the last two would wait too long.
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    assert.ok(elapsed >= 180, `delayed requests took ${elapsed} ms`);
  });

  test("several limits: a request takes a token from none unless all admit", async (t) => {
    const origin = await startOrigin(t);
    const weir = await startWeir(
      t,
      originConfig(origin.port, {
        filters: `[[routes.filters]]
kind = "rate_limit"
key = "client_addr"
rate = 0.001
burst = 3
[[routes.filters]]
kind = "rate_limit"
key = ["client_addr", "header:x-user"]
rate = 0.001
burst = 1`,
      }),
    );
    const as = (user: string) => send(weir.port, "/", { headers: { "x-user": user } });
    assert.equal((await as("a")).status, 200); // per client 2 left; a: 0
    assert.equal((await as("a")).status, 429); // refused by the user limit: the client limit keeps its token
    assert.equal((await as("a")).status, 429);
    assert.equal((await as("b")).status, 200); // client 1 left
    assert.equal((await as("c")).status, 200); // client 0 left
    assert.equal((await as("d")).status, 429, "the per-client limit is spent now");
    // Requests without x-user skip the combined limit but still count against the client one.
    assert.equal((await send(weir.port, "/")).status, 429);
    assert.equal(origin.seen.length, 3);
  });

  test("the bucket map is bounded: least recently used keys are evicted", () => {
    const buckets = new LocalBuckets(1, 1, 3);
    for (const key of ["a", "b", "c"]) {
      assert.equal(buckets.wait(key, 0), 0);
      buckets.take(key, 0);
    }
    assert.ok(buckets.wait("a", 0) > 0, "a is spent"); // touching a makes b the oldest
    for (let i = 0; i < 10_000; i++) buckets.wait(`spray-${i}`, 0);
    assert.equal(buckets.size, 3);
    assert.equal(buckets.wait("b", 0), 0, "an evicted bucket comes back full");
  });

  test("eviction takes exactly the least recently used key, the newest one included in the order", () => {
    const buckets = new LocalBuckets(1, 1, 3);
    for (const key of ["a", "b", "c"]) {
      buckets.wait(key, 0);
      buckets.take(key, 0);
    }
    buckets.wait("a", 0); // order now b, c, a
    buckets.wait("c", 0); // b, a, c
    buckets.wait("c", 0); // c again: still the newest
    buckets.wait("d", 0); // evicts b
    assert.ok(buckets.wait("a", 0) > 0, "a kept (spent)");
    assert.ok(buckets.wait("c", 0) > 0, "c kept (spent)");
    assert.equal(buckets.wait("b", 0), 0, "b was the one evicted: it comes back full");
  });
});

test("two weir instances share one limit in Redis", async (t) => {
  const redis = await startRedis(t);
  if (redis === undefined) return;
  const origin = await startOrigin(t);
  const filters = `[[routes.filters]]
kind = "rate_limit"
key = "client_addr"
rate = 0.01
burst = 6
redis = { address = "${redis}", prefix = "weir-test-${process.pid}:" }`;
  const a = await startWeir(t, originConfig(origin.port, { filters }));
  const b = await startWeir(t, originConfig(origin.port, { filters }));
  const statuses: number[] = [];
  for (let i = 0; i < 10; i++) statuses.push((await send(i % 2 === 0 ? a.port : b.port, "/")).status);
  assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200, 429, 429, 429, 429]);
  const refused = await send(b.port, "/");
  assert.equal(refused.status, 429);
  assert.ok(Number(refused.headers["retry-after"]) >= 60, "a token comes back every 100 s");
  // Another client is counted apart, in the same Redis.
  assert.equal((await send(a.port, "/", { localAddress: "127.0.0.2" })).status, 200);
  assert.equal(origin.seen.length, 7);
});

test("with Redis unreachable, requests pass (fail open)", async (t) => {
  const origin = await startOrigin(t);
  const weir = await startWeir(
    t,
    originConfig(origin.port, {
      filters: `[[routes.filters]]\nkind = "rate_limit"\nrate = 0.01\nburst = 1\nredis = { address = "127.0.0.1:1", timeout = "100ms" }`,
    }),
  );
  for (let i = 0; i < 3; i++) assert.equal((await send(weir.port, "/")).status, 200);
});
