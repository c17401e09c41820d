import assert from "node:assert/strict";
import { test } from "node:test";
import { LocalBuckets } from "./local.ts";

test("admit takes a token when one is there or the wait is allowed, and nothing otherwise", () => {
  const buckets = new LocalBuckets(10, 2, 100); // 10/s: a token every 100 ms, bursts of 2
  assert.equal(buckets.admit("a", 0, 0), 0);
  assert.equal(buckets.admit("a", 0, 0), 0);
  assert.equal(buckets.admit("a", 0, 0), 100, "empty: refused with the wait for the next token");
  assert.equal(buckets.admit("a", 0, 0), 100, "a refusal took nothing");
  assert.equal(buckets.admit("a", 50, 0), 50, "half a token refilled");
  assert.equal(buckets.admit("a", 50, 60), 50, "a wait within the limit is granted (a delay)");
  assert.equal(buckets.admit("a", 50, 1000), 150, "the token it took is owed");
  assert.equal(buckets.admit("b", 50, 0), 0, "another key has its own bucket");
});

test("admit agrees with wait then take", () => {
  const a = new LocalBuckets(5, 3, 10);
  const b = new LocalBuckets(5, 3, 10);
  for (let step = 0; step < 40; step++) {
    const now = step * 37;
    const maxWait = step % 3 === 0 ? 0 : 150;
    const key = `k${step % 2}`;
    const expected = b.wait(key, now);
    if (expected <= maxWait) b.take(key, now);
    assert.equal(a.admit(key, now, maxWait), expected, `step ${step}`);
  }
});
