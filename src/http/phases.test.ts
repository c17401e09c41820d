import assert from "node:assert/strict";
import { test } from "node:test";
import { compilePhases, type HttpFilter, PHASE_NAMES, runRequestHooks } from "./phases.ts";
import type { RequestContext } from "./request-context.ts";

const ctx = {} as RequestContext;

test("absent hooks compile to undefined; present ones keep filter order and `this`", () => {
  const order: string[] = [];
  const a: HttpFilter = {
    name: "a",
    requestArrival() {
      order.push(this.name);
      return undefined;
    },
  };
  const b: HttpFilter = {
    name: "b",
    requestArrival() {
      order.push(this.name);
      return undefined;
    },
    logging() {},
  };
  const phases = compilePhases([a, b]);
  for (const name of PHASE_NAMES) {
    if (name === "requestArrival" || name === "logging") assert.ok(phases[name], name);
    else assert.equal(phases[name], undefined, name);
  }
  assert.equal(runRequestHooks(phases.requestArrival ?? [], ctx), undefined);
  assert.deepEqual(order, ["a", "b"]);
});

test("a Reply stops the phase; only a promise makes it asynchronous", async () => {
  const seen: string[] = [];
  const reply = { status: 403 };
  const sync = compilePhases([
    { name: "x", requestArrival: () => reply },
    { name: "y", requestArrival: () => void seen.push("y") },
  ]);
  assert.equal(runRequestHooks(sync.requestArrival ?? [], ctx), reply);
  assert.deepEqual(seen, []);
  const async = compilePhases([
    { name: "x", requestArrival: async () => undefined },
    { name: "y", requestArrival: () => reply },
  ]);
  const result = runRequestHooks(async.requestArrival ?? [], ctx);
  assert.ok(result instanceof Promise);
  assert.equal(await result, reply);
});
