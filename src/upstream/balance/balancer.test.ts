// Every balancer against the same candidate sets, with the distributions checked.
import assert from "node:assert/strict";
import { test } from "node:test";
import { makeEndpoint } from "../endpoint.ts";
import { EndpointState } from "../health/state.ts";
import { type Balancer, type Candidates, candidates } from "./balancer.ts";
import { hashString } from "./hash.ts";
import { balancers } from "./index.ts";
import { buildRing } from "./ring-hash.ts";

function set(weights: number[]): Candidates {
  const endpoints = weights.map((w, i) => makeEndpoint(`10.0.0.${i + 1}`, 80, { weight: w }));
  return candidates(
    endpoints,
    endpoints.map((e) => new EndpointState("u", e.key, "healthy")),
  );
}

function shares(b: Balancer, c: Candidates, n: number, hash = () => 0): number[] {
  const counts = new Map(c.endpoints.map((e) => [e, 0]));
  for (let i = 0; i < n; i++) {
    const e = b.pick(c, hash(), undefined);
    assert.ok(e);
    counts.set(e, (counts.get(e) ?? 0) + 1);
  }
  return c.endpoints.map((e) => (counts.get(e) ?? 0) / n);
}

test("every balancer: picks only candidates, honours exclude, undefined when nothing is left", () => {
  const c = set([1, 1, 1]);
  for (const [name, make] of Object.entries(balancers)) {
    const b = make();
    const exclude = new Set([c.endpoints[0]!, c.endpoints[1]!]);
    for (let i = 0; i < 20; i++) assert.equal(b.pick(c, hashString(`k${i}`), exclude), c.endpoints[2], name);
    assert.equal(b.pick(c, 1, new Set(c.endpoints)), undefined, name);
    assert.equal(b.pick(set([]), 1, undefined), undefined, name);
  }
});

test("round_robin: smooth and exact to the weights (5,1,1 → a,a,b,a,c,a,a)", () => {
  const c = set([5, 1, 1]);
  const b = balancers.round_robin();
  const order = Array.from({ length: 7 }, () => c.endpoints.indexOf(b.pick(c, 0, undefined)!));
  assert.deepEqual(order, [0, 0, 1, 0, 2, 0, 0]);
  assert.deepEqual(shares(b, c, 7000), [5 / 7, 1 / 7, 1 / 7]);
  assert.deepEqual(shares(balancers.round_robin(), set([1, 1, 1, 1]), 400), [0.25, 0.25, 0.25, 0.25]);
});

test("random: weighted shares within 2 points over 20k picks", () => {
  const got = shares(balancers.random(), set([1, 2, 7]), 20_000);
  for (const [i, want] of [0.1, 0.2, 0.7].entries()) {
    assert.ok(Math.abs(got[i]! - want) < 0.02, `${got[i]} vs ${want}`);
  }
});

test("least_request: of two random choices, the one with fewer in flight", () => {
  const c = set([1, 1, 1, 1]);
  c.states[0]!.inflight = 50;
  c.states[1]!.inflight = 50;
  c.states[2]!.inflight = 50;
  const got = shares(balancers.least_request(), c, 10_000);
  // The idle endpoint loses only when it is not among the two drawn: 1 - P(drawn) = 1 - 1/2.
  assert.ok(got[3]! > 0.45, `idle endpoint got ${got[3]}`);
  c.states[3]!.inflight = 50;
  const even = shares(balancers.least_request(), c, 20_000);
  for (const s of even) assert.ok(Math.abs(s - 0.25) < 0.02, `even load → even shares, got ${s}`);
});

test("ring_hash: the same key sticks; weights hold; adding an endpoint moves about 1/N of the keys", () => {
  const b = balancers.ring_hash();
  const four = set([1, 1, 1, 1]);
  const keys = Array.from({ length: 10_000 }, (_, i) => hashString(`client-${i}`));
  const before = keys.map((h) => b.pick(four, h, undefined)!.key);
  assert.deepEqual(
    keys.slice(0, 100).map((h) => b.pick(four, h, undefined)!.key),
    before.slice(0, 100),
  );
  const perEndpoint = shares(
    b,
    four,
    10_000,
    (() => {
      let i = 0;
      return () => keys[i++ % keys.length]!;
    })(),
  );
  for (const s of perEndpoint) assert.ok(Math.abs(s - 0.25) < 0.06, `share ${s}`);
  const five = set([1, 1, 1, 1, 1]);
  const after = keys.map((h) => b.pick(five, h, undefined)!.key);
  const moved = after.filter((k, i) => k !== before[i]).length / keys.length;
  assert.ok(moved > 0.12 && moved < 0.28, `moved ${moved}, expected about 1/5`);
  assert.ok(
    after.every((k, i) => k === before[i] || k === "10.0.0.5:80"),
    "keys move only to the new endpoint",
  );
  const weighted = shares(
    b,
    set([1, 3]),
    10_000,
    (() => {
      let i = 0;
      return () => keys[i++ % keys.length]!;
    })(),
  );
  assert.ok(Math.abs(weighted[1]! - 0.75) < 0.06, `weight 3 of 4 got ${weighted[1]}`);
  assert.equal(buildRing(four).hashes.length, 4 * 160);
});

test("first_available: the first in order while it is a candidate", () => {
  const c = set([1, 1, 1]);
  const b = balancers.first_available();
  for (let i = 0; i < 5; i++) assert.equal(b.pick(c, 0, undefined), c.endpoints[0]);
  assert.equal(b.pick(c, 0, new Set([c.endpoints[0]!])), c.endpoints[1]);
});
