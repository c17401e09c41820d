// auth_request against a real auth service: 2xx passes (named headers copied onto the request), 401 and
// 403 go back to the client, anything else is 502, an unreachable service 503.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type Origin, originConfig, send, startOrigin, startWeir } from "./harness.ts";

/** The auth service: its answer depends on the Authorization header; `seen` records each call. */
function startAuth(t: import("node:test").TestContext): Promise<Origin> {
  return startOrigin(t, (req, res) => {
    const auth = req.headers.authorization;
    if (auth === "Bearer good") {
      res.writeHead(204, { "x-auth-user": "alice", "x-auth-other": "not copied" });
      res.end();
    } else if (auth === "Bearer forbidden") {
      res.writeHead(403, { "content-type": "text/plain" });
      res.end("no entry\n");
    } else if (auth === "Bearer broken") {
      res.writeHead(500);
      res.end("oops");
    } else {
      res.writeHead(401, { "www-authenticate": 'Bearer realm="weir"', "content-type": "text/plain" });
      res.end("who are you?\n");
    }
  });
}

function authConfig(originPort: number, authUrl: string): string {
  return originConfig(originPort, {
    filters: `[[routes.filters]]
kind = "auth_request"
url = "${authUrl}"
forward_headers = ["authorization"]
copy_headers = ["x-auth-user"]
timeout = "1s"`,
  });
}

test("the auth service allows, refuses, or fails; the origin sees only allowed requests", async (t) => {
  const origin = await startOrigin(t);
  const auth = await startAuth(t);
  const weir = await startWeir(t, authConfig(origin.port, `http://127.0.0.1:${auth.port}/check?v=1`));

  const allowed = await send(weir.port, "/orders/7?full=1", {
    method: "POST",
    headers: { authorization: "Bearer good", "x-auth-user": "mallory", cookie: "c=1" },
    body: "payload",
  });
  assert.equal(allowed.status, 200);
  const seen = origin.seen.at(-1)!;
  assert.equal(seen.headers["x-auth-user"], "alice", "the auth answer replaces the client's value");
  assert.equal(seen.headers["x-auth-other"], undefined);
  assert.equal(seen.body, "payload");
  const call = auth.seen.at(-1)!;
  assert.equal(call.method, "POST");
  assert.equal(call.url, "/check?v=1");
  assert.equal(call.headers["x-original-uri"], "/orders/7?full=1");
  assert.equal(call.headers["x-original-method"], "POST");
  assert.equal(call.headers.authorization, "Bearer good");
  assert.equal(call.headers.cookie, undefined, "only forward_headers are sent on");

  const unauthorized = await send(weir.port, "/x");
  assert.equal(unauthorized.status, 401);
  assert.equal(unauthorized.headers["www-authenticate"], 'Bearer realm="weir"');
  assert.equal(unauthorized.body, "who are you?\n");

  const forbidden = await send(weir.port, "/x", { headers: { authorization: "Bearer forbidden" } });
  assert.equal(forbidden.status, 403);
  assert.equal(forbidden.body, "no entry\n");

  const broken = await send(weir.port, "/x", { headers: { authorization: "Bearer broken" } });
  assert.equal(broken.status, 502);

  assert.equal(origin.seen.length, 1);
});

test("an unreachable auth service means 503", async (t) => {
  const origin = await startOrigin(t);
  const weir = await startWeir(t, authConfig(origin.port, "http://127.0.0.1:1/check"));
  const res = await send(weir.port, "/x", { headers: { authorization: "Bearer good" } });
  assert.equal(res.status, 503);
  assert.equal(origin.seen.length, 0);
});
