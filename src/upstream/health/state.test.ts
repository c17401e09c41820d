import assert from "node:assert/strict";
import { test } from "node:test";
import { RetryBudget } from "../retry-budget.ts";
import { EndpointState, endpointState } from "./state.ts";

const policy = { failures: 3, ejectMs: 1000, maxEjectMs: 5000 };

test("passive: consecutive failures eject, for a time that doubles while it keeps failing, up to the cap", () => {
  const s = new EndpointState("u", "10.0.0.1:80", "healthy");
  let now = 0;
  assert.equal(s.recordFailure(policy, now), false);
  assert.equal(s.recordFailure(policy, now), false);
  assert.equal(s.recordFailure(policy, now), true);
  assert.equal(s.available(now + 999), false);
  assert.equal(s.available(now + 1000), true);
  const ejections: number[] = [];
  for (let round = 0; round < 4; round++) {
    now = s.ejectedUntil;
    for (let i = 0; i < 3; i++) s.recordFailure(policy, now);
    ejections.push(s.ejectedUntil - now);
  }
  assert.deepEqual(ejections, [2000, 4000, 5000, 5000]);
  s.recordSuccess();
  assert.equal(s.available(now), true);
  for (let i = 0; i < 3; i++) s.recordFailure(policy, now);
  assert.equal(s.ejectedUntil - now, 1000, "a success starts the backoff over");
  const off = new EndpointState("u", "k", "healthy");
  for (let i = 0; i < 10; i++) assert.equal(off.recordFailure({ ...policy, failures: 0 }, 0), false);
});

test("the registry keeps one state per upstream and endpoint, across generations", () => {
  const a = endpointState("reg", "10.0.0.1:80", "unknown");
  assert.equal(endpointState("reg", "10.0.0.1:80", "healthy"), a);
  assert.equal(a.active, "unknown");
  assert.notEqual(endpointState("other", "10.0.0.1:80", "healthy"), a);
});

test("retry budget: at most ratio × requests over the window, plus the minimum", () => {
  const b = new RetryBudget(0.2, 10_000, 2);
  for (let i = 0; i < 100; i++) b.request(0);
  let allowed = 0;
  for (let i = 0; i < 100; i++) if (b.tryRetry(1)) allowed++;
  assert.equal(allowed, 20);
  // Two half-windows later the old counts are gone: only the minimum is left.
  let later = 0;
  for (let i = 0; i < 10; i++) if (b.tryRetry(20_001)) later++;
  assert.equal(later, 2);
});
