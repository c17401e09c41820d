// Malformed and over-limit requests over raw sockets: every one is refused with its status, and the
// origin never sees a byte of it.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { test } from "node:test";
import { config, rawExchange, startOrigin, startProxy } from "./harness.ts";

async function setup(t: import("node:test").TestContext, listenerExtra = "") {
  const origin = await startOrigin(t);
  const p = await startProxy(
    t,
    config(`
[listeners.web]
address = "127.0.0.1:1"
${listenerExtra}
[[routes]]
host = "a.test"
upstream = "o"
max_body_size = "10"
[[routes]]
upstream = "o"
[upstreams.o]
endpoints = ["127.0.0.1:${origin.port}"]
`),
  );
  return { origin, p };
}

const cases: [string, string, RegExp][] = [
  ["HTTP/1.1 without Host", "GET / HTTP/1.1\r\n\r\n", /^HTTP\/1\.1 400 /],
  ["two Host fields", "GET / HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n", /^HTTP\/1\.1 400 /],
  ["an invalid Host", "GET / HTTP/1.1\r\nHost: a test\r\n\r\n", /^HTTP\/1\.1 400 /],
  ["Host with a bad port", "GET / HTTP/1.1\r\nHost: a.test:xx\r\n\r\n", /^HTTP\/1\.1 400 /],
  [
    "Content-Length with Transfer-Encoding",
    "POST / HTTP/1.1\r\nHost: b.test\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    /^HTTP\/1\.1 400 /,
  ],
  [
    "a bad chunk size",
    "POST / HTTP/1.1\r\nHost: b.test\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    /^HTTP\/1\.1 400 /,
  ],
  [
    "two different Content-Lengths",
    "POST / HTTP/1.1\r\nHost: b.test\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
    /^HTTP\/1\.1 400 /,
  ],
  [
    "oversized headers",
    `GET / HTTP/1.1\r\nHost: b.test\r\nX-Big: ${"x".repeat(20_000)}\r\n\r\n`,
    /^HTTP\/1\.1 431 /,
  ],
  [
    "a declared body over max_body_size",
    "POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 11\r\n\r\nhello world",
    /^HTTP\/1\.1 413 /,
  ],
  [
    "an unknown Upgrade",
    "GET / HTTP/1.1\r\nHost: b.test\r\nConnection: upgrade\r\nUpgrade: spdy/3\r\n\r\n",
    /^HTTP\/1\.1 501 /,
  ],
  [
    "CONNECT nobody allowed",
    "CONNECT db.internal:5432 HTTP/1.1\r\nHost: db.internal:5432\r\n\r\n",
    /^HTTP\/1\.1 405 [\s\S]*allow: /i,
  ],
  ["a garbage request line", "HELLO\r\n\r\n", /^HTTP\/1\.1 400 /],
];

for (const [name, bytes, expected] of cases) {
  test(`refused, not forwarded: ${name}`, async (t) => {
    const { origin, p } = await setup(t);
    const answer = await rawExchange(p.port, bytes);
    assert.match(answer, expected);
    assert.equal(origin.seen.length, 0, "the origin saw nothing");
  });
}

test("a chunked body over max_body_size is cut with 413", async (t) => {
  const { origin, p } = await setup(t);
  const answer = await rawExchange(
    p.port,
    "POST / HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n6\r\nworld!\r\n0\r\n\r\n",
  );
  assert.match(answer, /^HTTP\/1\.1 413 /);
  assert.equal(origin.seen.length, 0, "the origin never got a complete request");
});

test("HTTP/1.0 without Host goes to the host-less route", async (t) => {
  const { origin, p } = await setup(t);
  const answer = await rawExchange(p.port, "GET /old HTTP/1.0\r\n\r\n");
  assert.match(answer, /^HTTP\/1\.1 200 /);
  assert.equal(origin.seen[0]?.url, "/old");
});

test("h2c upgrade requests are served as plain HTTP/1.1", async (t) => {
  const { origin, p } = await setup(t);
  const answer = await rawExchange(
    p.port,
    "GET /h2c HTTP/1.1\r\nHost: b.test\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n",
    500,
  );
  assert.match(answer, /^HTTP\/1\.1 200 /);
  assert.equal(origin.seen[0]?.headers.upgrade, undefined);
  assert.equal(origin.seen[0]?.headers["http2-settings"], undefined);
});

test("a client that never finishes its head gets 408", async (t) => {
  const { origin, p } = await setup(t, '[listeners.web.http]\nheader_timeout = "300ms"');
  const started = Date.now();
  const answer = await rawExchange(p.port, "GET / HTTP/1.1\r\nHost: b.te", 3_000);
  assert.match(answer, /^HTTP\/1\.1 408 /);
  assert.ok(Date.now() - started < 2_000);
  assert.equal(origin.seen.length, 0);
});

test("pipelined requests are answered in order on one connection", async (t) => {
  const { origin, p } = await setup(t);
  const answer = await new Promise<string>((resolve) => {
    const s = connect(p.port, "127.0.0.1", () =>
      s.write(
        "GET /1 HTTP/1.1\r\nHost: b.test\r\n\r\nGET /2 HTTP/1.1\r\nHost: b.test\r\n\r\nGET /3 HTTP/1.1\r\nHost: b.test\r\nConnection: close\r\n\r\n",
      ),
    );
    let text = "";
    s.on("data", (c: Buffer) => {
      text += c.toString();
    });
    s.on("close", () => resolve(text));
  });
  const urls = [...answer.matchAll(/"url":"(\/\d)"/g)].map((m) => m[1]);
  assert.deepEqual(urls, ["/1", "/2", "/3"]);
  assert.equal(origin.seen.length, 3);
});
