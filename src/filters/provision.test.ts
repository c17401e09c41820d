import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Counter, Registry } from "prom-client";
import { loadConfig } from "../config/load.ts";
import type { Verdict } from "../http/phases.ts";
import type { RequestContext } from "../http/request-context.ts";
import { acquireRouteFilters, releaseRouteFilters, routeFiltersHook } from "./provision.ts";

// A user filter whose section says what its requestArrival does, and which records that it ran.
const MODULE = `
const ran = (globalThis.provisionTestRan ??= []);
export default (section) => ({
  requestArrival() {
    ran.push(section.tag);
    const reply = section.status === undefined ? undefined : { status: section.status };
    return section.async ? new Promise((resolve) => setTimeout(resolve, 1, reply)) : reply;
  },
});
`;

function setUp(t: import("node:test").TestContext, filters: string[]) {
  const dir = mkdtempSync(join(tmpdir(), "weir-provision-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const module = join(dir, "tagged.mjs");
  writeFileSync(module, MODULE);
  const text = `[listeners.web]
address = "127.0.0.1:0"
[[routes]]
path_prefix = "/"
upstream = "origin"
${filters.map((f) => `[[routes.filters]]\nkind = "module"\nmodule = "${module}"\n${f}`).join("\n")}
[upstreams.origin]
endpoints = ["127.0.0.1:1"]
`;
  const loaded = loadConfig({ text });
  assert.ok(loaded.ok, JSON.stringify(loaded));
  const registry = new Registry();
  const filterRejections = new Counter({
    name: "rejections",
    help: "-",
    labelNames: ["listener", "filter", "status"] as const,
    registers: [registry],
  });
  const log = { error() {}, warn() {}, info() {}, debug() {} };
  const gen = { config: loaded.config, log, metrics: { filterRejections } } as never;
  const set = acquireRouteFilters(gen);
  t.after(() => releaseRouteFilters(gen));
  const hook = routeFiltersHook(set);
  assert.ok(hook?.requestArrival);
  const shared = globalThis as { provisionTestRan?: string[] };
  shared.provisionTestRan ??= [];
  const ran = shared.provisionTestRan;
  ran.length = 0;
  const ctx = {
    route: { index: 0 },
    conn: { ctx: { listener: "web" } },
    path: "/",
  } as unknown as RequestContext;
  const arrive = () => hook.requestArrival!(ctx) as Verdict | PromiseLike<Verdict>;
  const counted = async () =>
    (await filterRejections.get()).values.map((v) => `${v.labels.filter} ${v.labels.status} ${v.value}`);
  return { arrive, ran, counted };
}

test("route filters run in order; the one that answers stops the rest and is counted", async (t) => {
  const { arrive, ran, counted } = setUp(t, ['tag = "a"', 'tag = "b"\nstatus = 403', 'tag = "c"']);
  const verdict = arrive();
  assert.equal((verdict as { status?: number }).status, 403, "a synchronous answer stays synchronous");
  assert.deepEqual(ran, ["a", "b"]);
  assert.deepEqual(await counted(), ["module:tagged.mjs 403 1"]);
});

test("a promised pass runs the rest after it; a promised answer is counted", async (t) => {
  const { arrive, ran, counted } = setUp(t, [
    'tag = "a"\nasync = true',
    'tag = "b"',
    'tag = "c"\nasync = true\nstatus = 429',
    'tag = "d"',
  ]);
  const verdict = arrive();
  assert.equal(typeof (verdict as PromiseLike<Verdict>).then, "function");
  assert.deepEqual(ran, ["a"], "the rest wait for the promise");
  assert.equal((await verdict)?.status, 429);
  assert.deepEqual(ran, ["a", "b", "c"]);
  assert.deepEqual(await counted(), ["module:tagged.mjs 429 1"]);
});

test("filters that all pass answer nothing and count nothing", async (t) => {
  const { arrive, ran, counted } = setUp(t, ['tag = "a"', 'tag = "b"']);
  assert.equal(arrive(), undefined);
  assert.deepEqual(ran, ["a", "b"]);
  assert.deepEqual(await counted(), []);
});
