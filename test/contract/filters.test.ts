// shared/contract/filters.toml (examples/filters.toml), as its comments say: one route whose filters are
// cidr, rate_limit, remove_headers, set_headers, auth_request and the user module
// examples/filters/tenant.ts, and an /admin route that answers 403 whatever the spelling of its path.
// The origin (21001) and the auth service (21002) are started here. Clients speak from several loopback
// addresses (127.0.0.x) so that each test has its own rate limit bucket.
import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { after, before, describe, test } from "node:test";
import { send, sleep } from "../filters/harness.ts";
import { startWeir, type WeirProcess } from "../lib/weir-process.ts";

const PORT = 21000;

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
}

describe("contract: filters.toml", () => {
  let weir: WeirProcess;
  const origin: Seen[] = [];
  const auth: Seen[] = [];
  const originServer = createServer((req, res) => {
    origin.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    req.resume();
    req.on("end", () => {
      res.writeHead(200, {
        "content-type": "text/plain",
        "x-debug-backend": "o1",
        "x-debug-ms": "3",
        "x-kept": "1",
      });
      res.end("origin\n");
    });
  });
  const authServer = createServer((req, res) => {
    auth.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    const token = req.headers.authorization;
    if (token === "Bearer ok") res.writeHead(204).end();
    else if (token === "Bearer banned") res.writeHead(403, { "content-type": "text/plain" }).end("banned\n");
    else res.writeHead(401, { "www-authenticate": "Bearer", "content-type": "text/plain" }).end("login\n");
  });
  const ok = { authorization: "Bearer ok" };

  before(async () => {
    await listen(originServer, 21001);
    await listen(authServer, 21002);
    weir = startWeir(["run", "--config", "examples/filters.toml", "--workers", "1"]);
    await weir.waitFor(/"weir started"/);
  });
  after(async () => {
    assert.equal(await weir.stop(), 0);
    originServer.closeAllConnections();
    authServer.closeAllConnections();
    originServer.close();
    authServer.close();
  });

  test("an authorised request reaches the origin with the headers the filters set and removed", async () => {
    const res = await send(PORT, "/acme/orders?page=2", {
      headers: { ...ok, "x-internal-user": "root", "X-Internal-Role": "admin", "x-env": "prod" },
      localAddress: "127.0.0.10",
    });
    assert.equal(res.status, 200);
    assert.equal(res.body, "origin\n");
    const seen = origin.at(-1)!;
    assert.equal(seen.url, "/acme/orders?page=2");
    assert.equal(seen.headers["x-internal-user"], undefined);
    assert.equal(seen.headers["x-internal-role"], undefined);
    assert.equal(seen.headers["x-weir-client"], "127.0.0.10");
    assert.equal(seen.headers["x-env"], "test");
    assert.equal(seen.headers["x-tenant"], "acme");
    assert.equal(res.headers["x-debug-backend"], undefined);
    assert.equal(res.headers["x-debug-ms"], undefined);
    assert.equal(res.headers["x-kept"], "1");
    const check = auth.at(-1)!;
    assert.equal(check.url, "/check");
    assert.equal(check.method, "GET");
    assert.equal(check.headers["x-original-uri"], "/acme/orders?page=2");
    assert.equal(check.headers.authorization, "Bearer ok");
  });

  test("the auth service's 401 and 403 go back to the client; the origin never sees them", async () => {
    const before = origin.length;
    const anonymous = await send(PORT, "/acme", { localAddress: "127.0.0.11" });
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers["www-authenticate"], "Bearer");
    const banned = await send(PORT, "/acme", {
      method: "POST",
      headers: { authorization: "Bearer banned" },
      body: "x",
      localAddress: "127.0.0.11",
    });
    assert.equal(banned.status, 403);
    assert.equal(banned.body, "banned\n");
    assert.equal(auth.at(-1)?.method, "POST");
    assert.equal(origin.length, before);
  });

  test("clients in 127.0.0.2/32 get 403", async () => {
    const before = origin.length;
    const res = await send(PORT, "/acme", { headers: ok, localAddress: "127.0.0.2" });
    assert.equal(res.status, 403);
    assert.equal(origin.length, before);
    assert.equal((await send(PORT, "/acme", { headers: ok, localAddress: "127.0.0.3" })).status, 200);
  });

  test("/admin is denied with 403 whatever its spelling", async () => {
    const before = origin.length;
    for (const path of ["/admin", "/a/../admin", "/%61dmin", "//admin", "/%2e%2e/admin", "/./admin/x"]) {
      const res = await send(PORT, path, { headers: ok, localAddress: "127.0.0.12" });
      assert.equal(res.status, 403, path);
      assert.equal(res.body, "forbidden\n", path);
    }
    assert.equal(origin.length, before);
  });

  test("a burst beyond 40 gets 429 with Retry-After; 20 requests/s get none", async () => {
    const started = Date.now();
    const burst = await Promise.all(
      Array.from({ length: 50 }, () => send(PORT, "/burst", { headers: ok, localAddress: "127.0.0.20" })),
    );
    const elapsedS = (Date.now() - started) / 1000;
    const refused = burst.filter((r) => r.status === 429);
    const passed = burst.filter((r) => r.status === 200);
    // 40 from the bucket, plus the tokens the rate of 20/s refilled while the burst was in flight (a
    // loaded machine stretches the burst; the bucket's law, not a guess at its speed, bounds the count).
    const refilled = Math.ceil(20 * elapsedS) + 1;
    assert.ok(
      passed.length >= 40 && passed.length <= 40 + refilled,
      `${passed.length} passed in ${elapsedS} s`,
    );
    assert.equal(refused.length + passed.length, 50);
    for (const r of refused) assert.ok(Number(r.headers["retry-after"]) >= 1);

    // The same client, its bucket emptied by the burst, then keeps to 16/s (under the rate of 20/s):
    // none refused, since each token comes back before the next request.
    await sleep(100);
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const started = Date.now();
      statuses.push((await send(PORT, "/steady", { headers: ok, localAddress: "127.0.0.20" })).status);
      await sleep(Math.max(0, 62 - (Date.now() - started)));
    }
    assert.deepEqual(statuses, Array(30).fill(200));
  });
});
