// Issue 6: "A request that fails to connect ... is retried on another endpoint", bodies included: a
// refused connect means undici never read a byte of the body, so a POST goes to the next endpoint whole.
// Once a request started on a connection its body may be partly sent: it is never sent twice.
import assert from "node:assert/strict";
import { request } from "node:http";
import { createServer, type Socket } from "node:net";
import { test } from "node:test";
import { config, startOrigin, startProxy } from "./harness.ts";

/** A port nobody listens on: bound, then closed. */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Sends `body` (chunked when `chunked`, else with Content-Length); the status and the answer's body. */
function send(
  port: number,
  method: string,
  path: string,
  body: string,
  chunked = false,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = chunked
      ? { "transfer-encoding": "chunked" }
      : { "content-length": String(Buffer.byteLength(body)) };
    const req = request({ host: "127.0.0.1", port, method, path, headers, agent: false }, (res) => {
      let got = "";
      res.on("data", (c: Buffer) => {
        got += c.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: got }));
    });
    req.on("error", reject);
    if (chunked) {
      // Two writes, so the body really arrives in chunks.
      req.write(body.slice(0, 5));
      setTimeout(() => req.end(body.slice(5)), 10);
    } else req.end(body);
  });
}

test("a POST whose connect was refused goes to another endpoint with its whole body", async (t) => {
  const dead = await deadPort();
  const live = await startOrigin(t);
  const p = await startProxy(
    t,
    config(`[listeners.web]
address = "127.0.0.1:1"
[[routes]]
path_prefix = "/gated"
upstream = "m"
max_body_size = "1MiB"
[[routes]]
upstream = "m"
[upstreams.m]
endpoints = ["127.0.0.1:${dead}", "127.0.0.1:${live.port}"]
balance = "round_robin"
`),
  );
  // Round robin puts every other first try on the dead endpoint: each must still reach the live one.
  for (let i = 0; i < 4; i++) {
    const body = `payload number ${i} `.repeat(200);
    const r = await send(p.port, "POST", `/plain/${i}`, body);
    assert.equal(r.status, 200, `POST /plain/${i}`);
    assert.equal(live.seen.at(-1)?.url, `/plain/${i}`);
    assert.equal(live.seen.at(-1)?.body, body);
  }
  // Chunked bodies under a body limit pass through weir's counting gate: the same gate is sent again.
  for (let i = 0; i < 4; i++) {
    const body = `chunked body ${i} `.repeat(50);
    const r = await send(p.port, "POST", `/gated/${i}`, body, true);
    assert.equal(r.status, 200, `POST /gated/${i}`);
    assert.equal(live.seen.at(-1)?.url, `/gated/${i}`);
    assert.equal(live.seen.at(-1)?.body, body);
  }
  assert.equal(live.seen.length, 8, "each request reached the origin exactly once");
});

test("a request with a body that reached an endpoint is not sent again when that endpoint resets", async (t) => {
  // Reads the request head, then resets: the request started, part of its body may have been sent.
  const resetter = createServer((s: Socket) => {
    let head = "";
    s.on("data", (d: Buffer) => {
      head += d.toString("latin1");
      if (head.includes("\r\n\r\n")) s.resetAndDestroy();
    });
    s.on("error", () => {});
  });
  await new Promise<void>((r) => resetter.listen(0, "127.0.0.1", r));
  t.after(() => new Promise<void>((r) => resetter.close(() => r())));
  const live = await startOrigin(t);
  const p = await startProxy(
    t,
    config(`[listeners.web]
address = "127.0.0.1:1"
[[routes]]
upstream = "m"
[upstreams.m]
endpoints = ["127.0.0.1:${(resetter.address() as { port: number }).port}", "127.0.0.1:${live.port}"]
balance = "round_robin"
[upstreams.m.health]
passive_failures = 0
`),
  );
  // PUT is idempotent, but its body was handed over: once it started, it is answered, not repeated.
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) statuses.push((await send(p.port, "PUT", `/${i}`, "x".repeat(1000))).status);
  assert.deepEqual([...statuses].sort(), [200, 200, 502, 502]);
  assert.equal(live.seen.length, 2);
});
