// Fault tests with real origins: one of three endpoints dies under load and no idempotent request fails
// (retries), active checks mark it down and back up, every endpoint down answers 503 at once, and a raw
// TCP connection refused by one endpoint is tunnelled to another.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { createServer as createNetServer, type Socket } from "node:net";
import { test } from "node:test";
import { newConnectionContext } from "../../src/listener/connection.ts";
import { proxyTcp } from "../../src/listener/tcp-proxy.ts";
import { config, startProxy } from "../http/harness.ts";
import { connectTo, echoServer, listen, portOf, readBytes } from "../lib/net.ts";
import { until } from "./env.ts";

interface Origin {
  name: string;
  port: number;
  server: Server;
  hits: number;
  start(): Promise<void>;
  kill(): Promise<void>;
}

async function origin(name: string, t: import("node:test").TestContext): Promise<Origin> {
  const o: Origin = {
    name,
    port: 0,
    hits: 0,
    server: createServer((req, res) => {
      if (req.url !== "/healthz") o.hits++;
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(name);
    }),
    async start() {
      await new Promise<void>((r) => o.server.listen(o.port, "127.0.0.1", r));
      o.port = (o.server.address() as { port: number }).port;
    },
    async kill() {
      o.server.closeAllConnections();
      await new Promise<void>((r) => o.server.close(() => r()));
    },
  };
  await o.start();
  t.after(() => (o.server.listening ? o.kill() : undefined));
  return o;
}

/** `n` clients sending GETs back to back until `stop()`; every answer's status is counted. */
function load(port: number, n: number) {
  const statuses = new Map<number | string, number>();
  let running = true;
  const workers = Array.from({ length: n }, async () => {
    while (running) {
      let key: number | string;
      try {
        const res = await fetch(`http://127.0.0.1:${port}/x`);
        await res.text();
        key = res.status;
      } catch (err) {
        key = (err as Error).message;
      }
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
    }
  });
  return {
    statuses,
    async stop() {
      running = false;
      await Promise.all(workers);
    },
  };
}

test("one of three endpoints dies under load: no failed request, marked down, back up when it returns; all down → fast 503", async (t) => {
  const origins = [await origin("a", t), await origin("b", t), await origin("c", t)];
  const p = await startProxy(
    t,
    config(`[listeners.web]
address = "127.0.0.1:1"
[[routes]]
upstream = "u"
[upstreams.u]
endpoints = [${origins.map((o) => `"127.0.0.1:${o.port}"`).join(", ")}]
balance = "least_request"
retries = 2
health = { http_path = "/healthz", interval = "200ms", timeout = "150ms", rise = 1, fall = 2 }
`),
  );
  const u = p.gen.upstreams.get("u");
  assert.ok(u);
  const [, b] = origins as [Origin, Origin, Origin];
  const bEndpoint = u.endpoints.find((e) => e.port === b.port);
  assert.ok(bEndpoint);
  const healthy = async (key: string) =>
    (await p.gen.metrics.registry.getSingleMetric("weir_upstream_endpoint_healthy")?.get())?.values.find(
      (v) => v.labels.endpoint === key,
    )?.value;

  const traffic = load(p.port, 8);
  t.after(() => traffic.stop());
  await new Promise((r) => setTimeout(r, 400));
  const killedAt = Date.now();
  await b.kill();
  await until(() => u.stateOf(bEndpoint).active === "unhealthy", 3_000, "b marked down");
  const downAfter = Date.now() - killedAt;
  assert.ok(downAfter < 2 * 200 + 150 + 400, `marked down after ${downAfter} ms (fall 2 × 200 ms + timeout)`);
  assert.equal(await healthy(bEndpoint.key), 0);
  await new Promise((r) => setTimeout(r, 400));
  const hitsWhileDown = b.hits;
  await b.start();
  await until(() => u.stateOf(bEndpoint).active === "healthy", 3_000, "b back up");
  assert.equal(await healthy(bEndpoint.key), 1);
  await until(() => b.hits > hitsWhileDown + 20, 3_000, "b taking traffic again");
  await traffic.stop();
  const total = [...traffic.statuses.values()].reduce((a, n) => a + n, 0);
  assert.deepEqual(
    [...traffic.statuses.keys()],
    [200],
    `every request answered 200: ${[...traffic.statuses]}`,
  );
  assert.ok(total > 200, `enough load went through (${total})`);

  for (const o of origins) await o.kill();
  await until(() => u.candidates().endpoints.length === 0, 3_000, "every endpoint down");
  const started = performance.now();
  for (let i = 0; i < 20; i++) {
    const res = await fetch(`http://127.0.0.1:${p.port}/x`);
    await res.text();
    assert.equal(res.status, 503);
  }
  const each = (performance.now() - started) / 20;
  assert.ok(each < 50, `a 503 takes ${each.toFixed(1)} ms: no connect attempts`);
});

test("panic mode: with every endpoint down by health checks, requests still go to them", async (t) => {
  const a = await origin("a", t);
  const p = await startProxy(
    t,
    config(`[listeners.web]
address = "127.0.0.1:1"
[[routes]]
upstream = "u"
[upstreams.u]
endpoints = ["127.0.0.1:${a.port}"]
health = { check = "http", http_path = "/nothere", expect_status = "204", interval = "100ms", timeout = "80ms", fall = 1, panic = true }
`),
  );
  const u = p.gen.upstreams.get("u");
  assert.ok(u);
  await until(() => u.stateOf(u.endpoints[0]!).active === "unhealthy", 2_000, "marked down");
  const res = await fetch(`http://127.0.0.1:${p.port}/x`);
  assert.equal(await res.text(), "a");
});

test("a POST is not retried after the request reached an endpoint that broke; a refused connect is", async (t) => {
  let resets = 0;
  const breaker = createServer((req) => {
    resets++;
    req.socket.destroy();
  });
  await new Promise<void>((r) => breaker.listen(0, "127.0.0.1", r));
  t.after(() => new Promise<void>((r) => breaker.close(() => r())));
  const ok = await origin("ok", t);
  const dead = await origin("dead", t);
  await dead.kill();
  const p = await startProxy(
    t,
    config(`[listeners.web]
address = "127.0.0.1:1"
[[routes]]
upstream = "u"
[upstreams.u]
endpoints = ["127.0.0.1:${(breaker.address() as { port: number }).port}", "127.0.0.1:${ok.port}", "127.0.0.1:${dead.port}"]
balance = "first_available"
health = { passive_failures = 0 }
`),
  );
  const get = await fetch(`http://127.0.0.1:${p.port}/x`);
  assert.equal(await get.text(), "ok", "a GET broken before any response byte goes to the next endpoint");
  const post = await fetch(`http://127.0.0.1:${p.port}/x`, { method: "POST" });
  await post.text();
  assert.equal(post.status, 502, "a POST may have had effects: not retried");
  const keyed = await fetch(`http://127.0.0.1:${p.port}/x`, {
    method: "POST",
    headers: { "idempotency-key": "k1" },
  });
  assert.equal(await keyed.text(), "ok", "unless it carries an Idempotency-Key");
  assert.equal(resets, 3);
});

test("raw TCP: a refused connect is retried on another endpoint", async (t) => {
  const echo = await listen(echoServer());
  t.after(() => new Promise<void>((r) => echo.close(() => r())));
  const refused = await listen(createNetServer());
  const refusedPort = portOf(refused);
  await new Promise<void>((r) => refused.close(() => r()));
  const p = await startProxy(
    t,
    config(`[listeners.web]
address = "127.0.0.1:1"
[[routes]]
respond = { status = 204 }
[upstreams.t]
endpoints = ["127.0.0.1:${refusedPort}", "127.0.0.1:${portOf(echo)}"]
balance = "first_available"
`),
  );
  const upstream = p.gen.upstreams.get("t");
  assert.ok(upstream);
  const front = createNetServer({ allowHalfOpen: true }, (s: Socket) =>
    proxyTcp(p.gen, upstream, s, newConnectionContext("tcp", s), { idleTimeoutMs: 5_000 }),
  );
  await listen(front);
  t.after(() => new Promise<void>((r) => front.close(() => r())));
  for (let i = 0; i < 5; i++) {
    const c = await connectTo({ port: portOf(front) });
    c.write("ping");
    assert.equal((await readBytes(c, 4)).toString(), "ping");
    c.destroy();
  }
});
