// Upstream failures become small well-formed 502/503/504 answers, a log line and a counter; a client
// that leaves aborts its upstream request; connect failures of bodiless requests try another endpoint.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { test } from "node:test";
import { config, run, startOrigin, startProxy } from "./harness.ts";

/** A port nobody listens on: bound, then closed. */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function status(port: number, path = "/", extra: string[] = []) {
  const r = await run("curl", [
    "-sS",
    "-o",
    "-",
    "-w",
    "\n%{http_code}",
    ...extra,
    `http://127.0.0.1:${port}${path}`,
  ]);
  const lines = r.stdout.split("\n");
  return { code: Number(lines.at(-1)), body: lines.slice(0, -1).join("\n") };
}

test("connect refused → 502 with a small body and a counted error", async (t) => {
  const dead = await deadPort();
  const p = await startProxy(
    t,
    config(
      `[listeners.web]\naddress = "127.0.0.1:1"\n[[routes]]\nupstream = "d"\n[upstreams.d]\nendpoints = ["127.0.0.1:${dead}"]\n`,
    ),
  );
  const r = await status(p.port);
  assert.equal(r.code, 502);
  assert.equal(r.body, "502 upstream connect failed\n");
  const metrics = await p.gen.metrics.registry.metrics();
  assert.match(metrics, /weir_http_errors_total\{listener="web",code="CONNECT_FAILED"\} 1/);
  assert.match(metrics, /weir_upstream_connect_failures_total\{upstream="d",code="CONNECT_FAILED"\} 1/);
});

test("a refused endpoint is skipped for a bodiless request (retry on another endpoint)", async (t) => {
  const dead = await deadPort();
  const live = await startOrigin(t);
  const p = await startProxy(
    t,
    config(
      `[listeners.web]\naddress = "127.0.0.1:1"\n[[routes]]\nupstream = "m"\n[upstreams.m]\nendpoints = ["127.0.0.1:${dead}", "127.0.0.1:${live.port}"]\n`,
    ),
  );
  for (let i = 0; i < 4; i++) assert.equal((await status(p.port, `/${i}`)).code, 200);
  assert.equal(live.seen.length, 4);
});

test("no response head within response_timeout → 504", async (t) => {
  const slow = await startOrigin(t, (_req, res) => {
    setTimeout(() => res.end("late"), 2_000).unref();
  });
  const p = await startProxy(
    t,
    config(
      `[listeners.web]\naddress = "127.0.0.1:1"\n[[routes]]\nupstream = "s"\n[upstreams.s]\nendpoints = ["127.0.0.1:${slow.port}"]\nresponse_timeout = "200ms"\n`,
    ),
  );
  const r = await status(p.port);
  assert.equal(r.code, 504);
  assert.equal(r.body, "504 upstream timed out\n");
});

test("an upstream that resets mid-response cuts the client's response", async (t) => {
  const bad = await startOrigin(t, (_req, res) => {
    res.writeHead(200, { "content-length": "100" });
    res.write("partial");
    setTimeout(() => res.socket?.destroy(), 50);
  });
  const p = await startProxy(
    t,
    config(
      `[listeners.web]\naddress = "127.0.0.1:1"\n[[routes]]\nupstream = "b"\n[upstreams.b]\nendpoints = ["127.0.0.1:${bad.port}"]\n`,
    ),
  );
  const r = await run("curl", ["-sS", `http://127.0.0.1:${p.port}/`]);
  assert.notEqual(r.code, 0, "curl sees a truncated response, not a complete one");
});

test("a client that goes away aborts the upstream request", async (t) => {
  let upstreamClosed: () => void = () => {};
  const closed = new Promise<void>((r) => {
    upstreamClosed = r;
  });
  const hang = await startOrigin(t, (req, res) => {
    res.writeHead(200);
    res.write("start");
    req.socket.on("close", () => upstreamClosed());
  });
  const p = await startProxy(
    t,
    config(
      `[listeners.web]\naddress = "127.0.0.1:1"\n[[routes]]\nupstream = "h"\n[upstreams.h]\nendpoints = ["127.0.0.1:${hang.port}"]\n`,
    ),
  );
  await run("curl", ["-sS", "--max-time", "0.5", `http://127.0.0.1:${p.port}/`]);
  await closed;
});

test("no endpoint left → 503", async (t) => {
  const p = await startProxy(
    t,
    config(
      `[listeners.web]\naddress = "127.0.0.1:1"\n[[routes]]\nupstream = "e"\n[upstreams.e]\nendpoints = ["127.0.0.1:9"]\n`,
    ),
  );
  // Every endpoint is marked tried by a filter-free path: emptying the set is what discovery may do.
  const upstream = p.gen.upstreams.get("e");
  assert.ok(upstream);
  upstream.endpoints = [];
  assert.equal((await status(p.port)).code, 503);
});
