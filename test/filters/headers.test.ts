// remove_headers by glob and by regex, set_headers with variables, request ids.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { originConfig, send, startOrigin, startWeir } from "./harness.ts";

test("headers removed by glob (request) and by regex (response); set with variables", async (t) => {
  const origin = await startOrigin(t, (_req, res, seen) => {
    const body = JSON.stringify(seen.headers);
    res.writeHead(200, {
      "content-type": "application/json",
      "x-debug-timing": "12ms",
      "X-Debug-Backend": "b7",
      "x-debugger": "kept: the regex is anchored on the dash",
      "x-internal-secret": "response field the request glob does not touch",
      "content-length": Buffer.byteLength(body),
    });
    res.end(body);
  });
  const weir = await startWeir(
    t,
    originConfig(origin.port, {
      filters: `[[routes.filters]]
kind = "remove_headers"
request_glob = ["x-internal-*", "x-?ecret"]
request_regex = ["^x-trace-[0-9]+$"]
response_regex = ["^x-debug-"]
[[routes.filters]]
kind = "set_headers"
request = { "x-weir-client" = "\${client_addr}", "x-env" = "test", "x-seen" = "\${method} \${host}\${path}", "x-id" = "\${request_id}" }
response = { "x-served-by" = "weir", "x-debug-added" = "after removal, so kept" }`,
    }),
  );
  const res = await send(weir.port, "/p?q=1", {
    headers: {
      "X-Internal-User": "admin",
      "x-internal-": "empty suffix",
      "x-Secret": "s",
      "x-trace-42": "t",
      "x-trace-abc": "kept: not digits",
      "x-env": "prod",
      "x-keep": "yes",
    },
  });
  assert.equal(res.status, 200);
  const got = JSON.parse(res.body) as Record<string, string>;
  assert.equal(got["x-internal-user"], undefined);
  assert.equal(got["x-internal-"], undefined);
  assert.equal(got["x-secret"], undefined);
  assert.equal(got["x-trace-42"], undefined);
  assert.equal(got["x-trace-abc"], "kept: not digits");
  assert.equal(got["x-keep"], "yes");
  assert.equal(got["x-env"], "test", "set_headers replaces what the client sent");
  assert.equal(got["x-weir-client"], "127.0.0.1");
  assert.equal(got["x-seen"], `GET 127.0.0.1:${weir.port}/p?q=1`);
  assert.match(got["x-id"] ?? "", /^[0-9a-f-]{36}$/);
  assert.equal(res.headers["x-debug-timing"], undefined);
  assert.equal(res.headers["x-debug-backend"], undefined);
  assert.equal(res.headers["x-debugger"], "kept: the regex is anchored on the dash");
  assert.equal(res.headers["x-internal-secret"], "response field the request glob does not touch");
  assert.equal(res.headers["x-served-by"], "weir");
  assert.equal(res.headers["x-debug-added"], "after removal, so kept");
});

test("request ids: generated, passed upstream, returned, logged; kept from trusted proxies only", async (t) => {
  const origin = await startOrigin(t);
  const logFile = join(mkdtempSync(join(tmpdir(), "weir-filters-")), "access.log");
  const weir = await startWeir(
    t,
    `[log]
level = "fatal"
[access_log]
enabled = true
output = "${logFile}"
[listeners.web]
address = "127.0.0.1:0"
http.trusted_proxies = ["127.0.0.3/32"]
[[routes]]
path_prefix = "/"
upstream = "origin"
[[routes.filters]]
kind = "request_id"
[upstreams.origin]
endpoints = ["127.0.0.1:${origin.port}"]
`,
  );

  const fresh = await send(weir.port, "/", { headers: { "x-request-id": "client-chosen" } });
  const id = fresh.headers["x-request-id"];
  assert.match(String(id), /^[0-9a-f-]{36}$/, "an untrusted client's id is replaced");
  assert.equal(origin.seen.at(-1)?.headers["x-request-id"], id);

  const trusted = await send(weir.port, "/", {
    headers: { "x-request-id": "lb-1234" },
    localAddress: "127.0.0.3",
  });
  assert.equal(trusted.headers["x-request-id"], "lb-1234");
  assert.equal(origin.seen.at(-1)?.headers["x-request-id"], "lb-1234");
  assert.equal(origin.seen.at(-1)?.rawHeaders.filter((h) => h.toLowerCase() === "x-request-id").length, 1);
  // The access log is written asynchronously: wait (a bounded while) for both lines to land.
  let logged: Record<string, unknown>[] = [];
  for (let i = 0; i < 40 && logged.length < 2; i++) {
    await new Promise((r) => setTimeout(r, 50));
    try {
      for (const o of weir.gen.outputs) o.flush();
      logged = readFileSync(logFile, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    } catch {}
  }
  assert.deepEqual(
    logged.map((l) => l.request_id),
    [id, "lb-1234"],
  );
});
