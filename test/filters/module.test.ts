// User filters in TypeScript: loaded relative to the config file, factory run at config load (so
// `weir check` refuses a broken one), hooks that throw fail only their request with 500 and a log line.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { loadConfig } from "../../src/config/load.ts";
import { ROOT, tempDir, WEIR } from "../lib/weir-process.ts";
import { send, sleep, startOrigin, startWeir } from "./harness.ts";

const THROWING = `
export default function (section) {
  return {
    name: "throwing",
    requestArrival(ctx) {
      if (ctx.path === "/sync") throw new Error("sync boom " + section.label);
      if (ctx.path === "/async") return Promise.reject(new Error("async boom"));
      return undefined;
    },
    downstreamResponse(ctx, status, headers) {
      if (ctx.path === "/head") throw new Error("head boom");
      headers["x-module"] = section.label;
    },
    requestBody(ctx, chunk) {
      if (ctx.path === "/body") throw new Error("body boom");
      return chunk;
    },
  };
}
`;

function write(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

function toml(originPort: number, logFile: string, module: string, extra = ""): string {
  return `[log]
level = "error"
output = "${logFile}"
[access_log]
enabled = false
[listeners.web]
address = "127.0.0.1:0"
[[routes]]
path_prefix = "/"
upstream = "origin"
[[routes.filters]]
kind = "module"
module = "${module}"
${extra}
[upstreams.origin]
endpoints = ["127.0.0.1:${originPort}"]
`;
}

test("examples/filters/tenant.ts adds x-tenant from the first path segment", async (t) => {
  const origin = await startOrigin(t);
  const weir = await startWeir(t, toml(origin.port, join(tempDir(), "log"), "examples/filters/tenant.ts"));
  assert.equal((await send(weir.port, "/acme/orders?x=1", { headers: { "x-tenant": "spoof" } })).status, 200);
  assert.equal(origin.seen.at(-1)?.headers["x-tenant"], "acme");
  await send(weir.port, "/");
  assert.equal(origin.seen.at(-1)?.headers["x-tenant"], undefined);
});

test("a hook that throws fails that request with 500 and a log line; the proxy keeps serving", async (t) => {
  const origin = await startOrigin(t);
  const dir = tempDir();
  const logFile = join(dir, "weir.log");
  write(dir, { "filters/throwing.js": THROWING });
  const weir = await startWeir(
    t,
    toml(origin.port, logFile, join(dir, "filters/throwing.js"), 'label = "L"'),
  );
  assert.equal((await send(weir.port, "/sync")).status, 500);
  assert.equal((await send(weir.port, "/async")).status, 500);
  assert.equal((await send(weir.port, "/head")).status, 500);
  assert.equal((await send(weir.port, "/body", { method: "POST", body: "x".repeat(100) })).status, 500);
  const ok = await send(weir.port, "/fine");
  assert.equal(ok.status, 200);
  assert.equal(ok.headers["x-module"], "L", "the factory got its TOML section");
  // The log file is written asynchronously: wait (a bounded while) for the four lines to land.
  let failures: { msg: string; hook: string; err: { message: string } }[] = [];
  for (let i = 0; i < 40 && failures.length < 4; i++) {
    await sleep(50);
    try {
      for (const o of weir.gen.outputs) o.flush();
      failures = readFileSync(logFile, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { msg: string; hook: string; err: { message: string } })
        .filter((l) => l.msg === "filter hook failed");
    } catch {}
  }
  assert.deepEqual(
    failures.map((l) => [l.hook, l.err.message]),
    [
      ["requestArrival", "sync boom L"],
      ["requestArrival", "async boom"],
      ["downstreamResponse", "head boom"],
      ["requestBody", "body boom"],
    ],
  );
});

test("a broken filter module is a config error at load time, with its key", () => {
  const dir = tempDir();
  write(dir, {
    "filters/syntax.ts": "export default function ( {",
    "filters/throws.ts": 'export default () => { throw new Error("bad section"); };',
    "filters/nodefault.ts": "export const x = 1;",
    "filters/unknown.ts": "export default () => ({ onRequest() {} });",
    "filters/good.ts": "export default () => ({ requestArrival() { return undefined; } });",
  });
  const cases: [string, RegExp][] = [
    ["filters/missing.ts", /cannot load filter module/],
    ["filters/syntax.ts", /cannot load filter module/],
    ["filters/throws.ts", /factory failed: bad section/],
    ["filters/nodefault.ts", /must default-export a factory/],
    ["filters/unknown.ts", /unknown hook "onRequest"/],
  ];
  for (const [module, message] of cases) {
    const file = join(dir, "weir.toml");
    writeFileSync(file, toml(1, "stderr", module).replace("127.0.0.1:1", "127.0.0.1:9"));
    const loaded = loadConfig({ file });
    assert.equal(loaded.ok, false, module);
    if (loaded.ok) continue;
    assert.equal(loaded.problems.length, 1);
    assert.equal(loaded.problems[0]?.key, "routes[0].filters[0].module");
    assert.match(loaded.problems[0]?.message ?? "", message);
    assert.equal(loaded.problems[0]?.line, 13, "the problem points at the module line");
  }
  writeFileSync(join(dir, "weir.toml"), toml(9, "stderr", "filters/good.ts"));
  const good = loadConfig({ file: join(dir, "weir.toml") });
  assert.ok(good.ok);
  const filter = good.config.routes[0]?.filters[0];
  assert.equal(filter?.kind === "module" ? filter.module : "", join(dir, "filters/good.ts"));
});

test("weir check loads the module and runs its factory", () => {
  const dir = tempDir();
  write(dir, {
    "filters/throws.ts": 'export default () => { throw new Error("bad section"); };',
    "good.toml": toml(9, "stderr", join(ROOT, "examples/filters/tenant.ts")),
    "bad.toml": toml(9, "stderr", "filters/throws.ts"),
  });
  const good = spawnSync(WEIR, ["check", "--config", join(dir, "good.toml")], { encoding: "utf8" });
  assert.equal(good.status, 0, good.stderr);
  const bad = spawnSync(WEIR, ["check", "--config", join(dir, "bad.toml")], { encoding: "utf8" });
  assert.equal(bad.status, 2);
  assert.match(
    bad.stderr,
    /bad\.toml:13:\d+: routes\[0\]\.filters\[0\]\.module: .*factory failed: bad section/,
  );
});
