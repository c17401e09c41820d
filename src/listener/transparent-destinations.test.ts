import assert from "node:assert/strict";
import { test } from "node:test";
import type { Endpoint } from "../upstream/endpoint.ts";
import { Destinations } from "./transparent-destinations.ts";

function table(maxEntries: number, idleMs: number) {
  const evicted: string[] = [];
  const t = new Destinations({ maxEntries, idleMs }, (e: Endpoint) => evicted.push(e.key));
  return { t, evicted };
}

test("past the cap the least recently used idle destination is evicted, one for one", () => {
  const { t, evicted } = table(3, 60_000);
  for (let i = 1; i <= 1000; i++) {
    const d = t.acquire(`10.0.${i >> 8}.${i & 255}`, 80, i);
    t.release(d.endpoint, i);
    assert.ok(t.size <= 3, `size ${t.size} after ${i} destinations`);
  }
  assert.equal(evicted.length, 997);
  assert.deepEqual(evicted.slice(0, 2), ["10.0.0.1:80", "10.0.0.2:80"]);
});

test("using a destination again makes it recent: it outlives one used earlier", () => {
  const { t, evicted } = table(2, 60_000);
  const a = t.acquire("10.0.0.1", 80, 1);
  t.release(a.endpoint, 1);
  const b = t.acquire("::1", 8080, 2);
  t.release(b.endpoint, 2);
  assert.equal(b.endpoint.key, "[::1]:8080");
  const again = t.reacquire(a, 3);
  assert.equal(again, a, "a live entry is the same entry");
  t.release(a.endpoint, 3);
  t.release(t.acquire("10.0.0.3", 80, 4).endpoint, 4);
  assert.deepEqual(evicted, ["[::1]:8080"]);
});

test("destinations idle for idleMs are evicted when the next request begins", () => {
  const { t, evicted } = table(100, 1000);
  for (let i = 1; i <= 5; i++) t.release(t.acquire(`10.0.0.${i}`, 443, i * 100).endpoint, i * 100);
  assert.equal(t.size, 5);
  // At 1350 the ones last used at 100, 200 and 300 have been idle for more than 1000 ms.
  t.release(t.acquire("10.0.0.9", 443, 1350).endpoint, 1350);
  assert.deepEqual(evicted, ["10.0.0.1:443", "10.0.0.2:443", "10.0.0.3:443"]);
  assert.equal(t.size, 3);
});

test("a destination with a request in progress is never evicted; the cap yields instead", () => {
  const { t, evicted } = table(2, 10);
  const busy = t.acquire("10.0.0.1", 80, 0);
  const busy2 = t.acquire("10.0.0.2", 80, 0);
  const third = t.acquire("10.0.0.3", 80, 1000);
  assert.deepEqual(evicted, [], "both older ones are busy");
  assert.equal(t.size, 3);
  t.release(third.endpoint, 1000);
  t.release(busy.endpoint, 2000);
  // Back under the cap: the idle third, then the least recent idle one; busy2 stays.
  t.release(t.acquire("10.0.0.4", 80, 2005).endpoint, 2005);
  assert.deepEqual(evicted, ["10.0.0.3:80", "10.0.0.1:80"]);
  assert.equal(busy2.live, true);
  assert.equal(t.size, 2);
});

test("a long request counts as a use when it ends: its destination is idle from then", () => {
  const { t, evicted } = table(100, 10);
  const long = t.acquire("10.0.0.1", 80, 0);
  t.release(t.acquire("10.0.0.2", 80, 1000).endpoint, 1000);
  t.release(long.endpoint, 2000);
  t.release(t.acquire("10.0.0.3", 80, 2005).endpoint, 2005);
  assert.deepEqual(evicted, ["10.0.0.2:80"]);
  t.release(t.acquire("10.0.0.4", 80, 2011).endpoint, 2011);
  assert.deepEqual(evicted, ["10.0.0.2:80", "10.0.0.1:80"]);
});

test("an evicted entry held by a connection is replaced by a fresh one, and stray releases are ignored", () => {
  const { t, evicted } = table(1, 60_000);
  const a = t.acquire("10.0.0.1", 80, 1);
  t.release(a.endpoint, 1);
  t.release(a.endpoint, 1);
  assert.equal(a.active, 0);
  t.release(t.acquire("10.0.0.2", 80, 2).endpoint, 2);
  assert.equal(a.live, false);
  const fresh = t.reacquire(a, 3);
  assert.notEqual(fresh, a);
  assert.equal(fresh.endpoint.key, "10.0.0.1:80");
  assert.equal(fresh.active, 1);
  // Releasing the evicted entry's endpoint again touches nothing.
  t.release(a.endpoint, 4);
  assert.equal(fresh.active, 1);
  assert.deepEqual(evicted, ["10.0.0.1:80", "10.0.0.2:80"]);
});
