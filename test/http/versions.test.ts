// HTTP/1.0, 1.1 and 2 (prior knowledge) on one listener, with real clients, against the routing of
// shared/contract/http.toml; hop-by-hop headers never reach the origin, forwarding headers do.
import assert from "node:assert/strict";
import { test } from "node:test";
import { config, requireProgram, run, startOrigin, startProxy } from "./harness.ts";

async function contract(t: import("node:test").TestContext) {
  const a = await startOrigin(t);
  const b1 = await startOrigin(t);
  const b2 = await startOrigin(t);
  const p = await startProxy(
    t,
    config(`
[listeners.web]
address = "127.0.0.1:1"
[[routes]]
host = "a.test"
upstream = "a"
[[routes]]
path_prefix = "/b/"
upstream = "b"
[[routes]]
respond = { status = 404, body = "no route\\n" }
[upstreams.a]
endpoints = ["127.0.0.1:${a.port}"]
[upstreams.b]
endpoints = ["127.0.0.1:${b1.port}", "127.0.0.1:${b2.port}"]
balance = "round_robin"
`),
  );
  return { a, b1, b2, p };
}

for (const version of ["--http1.0", "--http1.1", "--http2-prior-knowledge"]) {
  test(`curl ${version}: routes by host and prefix, 404 otherwise, hop-by-hop stripped`, async (t) => {
    if (!requireProgram(t, "curl")) return;
    const { a, b1, b2, p } = await contract(t);
    const base = `http://127.0.0.1:${p.port}`;
    const r = await run("curl", [
      "-sS",
      version,
      "-H",
      "Host: a.test",
      "-H",
      "Connection: X-Private",
      "-H",
      "X-Private: secret",
      "-H",
      "Keep-Alive: timeout=5",
      "-H",
      "Proxy-Authorization: Basic eA==",
      "-H",
      "TE: trailers, deflate",
      "-H",
      "X-Forwarded-For: 6.6.6.6",
      `${base}/any/path?q=1`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const seen = JSON.parse(r.stdout);
    assert.equal(seen.url, "/any/path?q=1");
    assert.equal(seen.headers.host, "a.test");
    assert.equal(seen.headers["x-forwarded-for"], "127.0.0.1", "an untrusted client's XFF is replaced");
    assert.equal(seen.headers["x-forwarded-proto"], "http");
    assert.equal(seen.headers["x-forwarded-host"], "a.test");
    for (const h of [
      "keep-alive",
      "proxy-authorization",
      "proxy-connection",
      "upgrade",
      "transfer-encoding",
    ]) {
      assert.equal(seen.headers[h], undefined, h);
    }
    if (version !== "--http2-prior-knowledge") {
      assert.equal(seen.headers["x-private"], undefined, "a field named by Connection is hop-by-hop");
      assert.equal(seen.headers.te, "trailers");
    }
    assert.equal(a.seen.length, 1);

    for (let i = 0; i < 4; i++) {
      const rb = await run("curl", ["-sS", version, `${base}/b/${i}`]);
      assert.equal(JSON.parse(rb.stdout).url, `/b/${i}`);
    }
    assert.equal(b1.seen.length, 2, "round robin over both endpoints");
    assert.equal(b2.seen.length, 2);

    const miss = await run("curl", [
      "-sS",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      version,
      `${base}/elsewhere`,
    ]);
    assert.equal(miss.stdout, "404");
  });
}

test("HTTP/1.0 gets HTTP/1.0 semantics: no chunking, close unless keep-alive was asked", async (t) => {
  if (!requireProgram(t, "curl")) return;
  const origin = await startOrigin(t, (_req, res) => {
    res.write("part1-");
    res.end("part2");
  });
  const p = await startProxy(
    t,
    config(
      `[listeners.web]\naddress = "127.0.0.1:1"\n[[routes]]\nupstream = "o"\n[upstreams.o]\nendpoints = ["127.0.0.1:${origin.port}"]\n`,
    ),
  );
  const r = await run("curl", ["-sS", "-i", "--http1.0", `http://127.0.0.1:${p.port}/`]);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /transfer-encoding/i);
  assert.match(r.stdout, /connection: close/i);
  assert.match(r.stdout, /part1-part2$/);
  const r11 = await run("curl", ["-sS", "-i", "--http1.1", `http://127.0.0.1:${p.port}/`]);
  assert.match(r11.stdout, /transfer-encoding: chunked/i);
});

test("nghttp: many HTTP/2 streams on one connection", async (t) => {
  if (!requireProgram(t, "nghttp")) return;
  const { p, b1, b2 } = await contract(t);
  const urls = Array.from({ length: 20 }, (_, i) => `http://127.0.0.1:${p.port}/b/${i}`);
  const r = await run("nghttp", ["-n", "-s", ...urls]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.equal(b1.seen.length + b2.seen.length, 20);
});
