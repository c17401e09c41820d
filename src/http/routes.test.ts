import assert from "node:assert/strict";
import { test } from "node:test";
import { loadConfig } from "../config/load.ts";
import { provision } from "../generation.ts";
import { compileRoutes } from "./routes.ts";

function table(routes: string, listener = "web") {
  const text = `[log]\nlevel = "fatal"\n[access_log]\nenabled = false\n[listeners.web]\naddress = "127.0.0.1:1"\n[listeners.other]\naddress = "127.0.0.1:2"\n[upstreams.u]\nendpoints = ["127.0.0.1:9"]\n${routes}`;
  const loaded = loadConfig({ text });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  return compileRoutes(provision(loaded.config), listener);
}

const label = (r: { label: string } | undefined) => r?.label;

test("exact host beats wildcard beats host-less, whatever the prefixes", () => {
  const t = table(`
[[routes]]
name = "any-long"
path_prefix = "/very/long/prefix/"
upstream = "u"
[[routes]]
name = "wild"
host = "*.b.test"
upstream = "u"
[[routes]]
name = "exact"
host = "x.b.test"
upstream = "u"
`);
  assert.equal(label(t.match("x.b.test", "/very/long/prefix/1", "GET")), "exact");
  assert.equal(label(t.match("y.b.test", "/very/long/prefix/1", "GET")), "wild");
  assert.equal(label(t.match("z.y.b.test", "/very/long/prefix/1", "GET")), "any-long", "one label only");
  assert.equal(label(t.match("b.test", "/very/long/prefix/1", "GET")), "any-long");
  assert.equal(t.match("c.test", "/", "GET"), undefined);
});

test("longer prefix wins inside a host, ties in file order; methods and listeners filter", () => {
  const t = table(`
[[routes]]
name = "short"
host = "a.test"
path_prefix = "/api/"
upstream = "u"
[[routes]]
name = "long"
host = "A.test"
path_prefix = "/api/v2/"
upstream = "u"
[[routes]]
name = "long-twin"
host = "a.test"
path_prefix = "/api/v2/"
upstream = "u"
[[routes]]
name = "post-only"
host = "a.test"
path_prefix = "/api/v2/x"
methods = ["POST"]
upstream = "u"
[[routes]]
name = "elsewhere"
listeners = ["other"]
upstream = "u"
[[routes]]
respond = { status = 404 }
`);
  assert.equal(label(t.match("a.test", "/api/v2/x", "GET")), "long");
  assert.equal(label(t.match("a.test", "/api/v2/x", "POST")), "post-only");
  assert.equal(label(t.match("a.test", "/api/v1", "GET")), "short");
  assert.equal(label(t.match("a.test", "/other", "GET")), "#5", "falls through to the host-less default");
  assert.equal(label(t.match("", "/", "GET")), "#5", "the listener filter hides 'elsewhere'");
  assert.equal(
    label(
      table(`[[routes]]\nname = "elsewhere"\nlisteners = ["other"]\nupstream = "u"`, "other").match(
        "",
        "/",
        "GET",
      ),
    ),
    "elsewhere",
  );
});

test("CONNECT targets map to the first route that lists them", () => {
  const t = table(`
[[routes]]
name = "proxy"
host = "p.test"
upstream = "u"
connect = ["Db.internal:5432", "[::1]:22"]
[[routes]]
name = "second"
upstream = "u"
connect = ["db.internal:5432"]
`);
  assert.equal(label(t.connectRoute("db.internal:5432")), "proxy");
  assert.equal(label(t.connectRoute("[::1]:22")), "proxy");
  assert.equal(t.connectRoute("db.internal:5433"), undefined);
});

test("a respond route carries its body and content-length, encoded once", () => {
  const r = table(
    `[[routes]]\nrespond = { status = 418, body = "tea\\n", headers = { "X-Kind" = "pot" } }`,
  ).match("", "/", "GET");
  assert.equal(r?.reply?.status, 418);
  assert.deepEqual(r?.reply?.headers, { "x-kind": "pot", "content-length": "4" });
  assert.equal(Buffer.from(r?.reply?.body as Uint8Array).toString(), "tea\n");
});
