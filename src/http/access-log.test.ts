// The HTTP access line as the logging phase writes it: field names, order, types and JSON escaping.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { rawExchange, startOrigin, startProxy } from "../../test/http/harness.ts";

test("one JSON line per request with the access log's fields, strings escaped", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "weir-http-access-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "access.log");
  const origin = await startOrigin(t);
  const proxy = await startProxy(
    t,
    `[log]
level = "fatal"
[access_log]
output = "${file}"
headers = ["user-agent"]
redact_headers = ["authorization"]
[listeners.web]
address = "127.0.0.1:1"
[upstreams.u]
endpoints = ["127.0.0.1:${origin.port}"]
[[routes]]
name = "all"
upstream = "u"
[[routes]]
name = "gone"
path_prefix = "/gone"
respond = { status = 410 }
`,
  );
  // A path with a quote and a backslash, a header value with quotes and non-ASCII bytes.
  await rawExchange(
    proxy.port,
    'GET /a"b\\c?q=1 HTTP/1.1\r\nHost: x.test\r\nUser-Agent: t\u00e9st "ua"\r\nAuthorization: secret\r\nConnection: close\r\n\r\n',
  );
  await rawExchange(
    proxy.port,
    "POST /gone HTTP/1.1\r\nHost: x.test\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi",
  );
  proxy.gen.accessLog?.flush();
  const lines = readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "");
  assert.equal(lines.length, 2);
  const [first, second] = lines.map((l) => JSON.parse(l));
  assert.deepEqual(Object.keys(first), [
    "level",
    "time",
    "pid",
    "log",
    "listener",
    "client",
    "proto",
    "method",
    "host",
    "path",
    "status",
    "bytes",
    "ms",
    "connect_ms",
    "ttfb_ms",
    "upstream",
    "route",
    "headers",
  ]);
  assert.equal(first.log, "access");
  assert.equal(first.listener, "web");
  assert.equal(first.client, "127.0.0.1");
  assert.equal(first.proto, "1.1");
  assert.equal(first.method, "GET");
  assert.equal(first.host, "x.test");
  assert.equal(first.path, '/a"b\\c?q=1');
  assert.equal(first.status, 200);
  assert.equal(typeof first.bytes, "number");
  assert.ok(first.bytes > 0);
  assert.equal(typeof first.ms, "number");
  assert.equal(first.upstream, `127.0.0.1:${origin.port}`);
  assert.equal(first.route, "all");
  // Field values are read as latin1: the UTF-8 bytes of "é" arrive as two characters.
  const ua = Buffer.from('t\u00e9st "ua"', "utf8").toString("latin1");
  assert.deepEqual(first.headers, { "user-agent": ua, authorization: "[redacted]" });
  assert.ok(!readFileSync(file, "utf8").includes("secret"));

  assert.equal(second.method, "POST");
  assert.equal(second.status, 410);
  assert.equal(second.bytes_in, 2);
  assert.equal(second.route, "gone");
  assert.equal(second.upstream, undefined);
});
