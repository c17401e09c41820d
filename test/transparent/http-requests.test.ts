// HTTP on a transparent listener without a network namespace: the listener's HTTP service with the
// transparent filter, behind a server that plays the part of the redirect by giving each connection a
// fixed original destination (what handshake/original-dst.ts reads from the kernel in production).
// Covers the system-resolver fallback for authorities that discovery does not know, the 508 answer to a
// request that comes back to weir (a redirect that did not exempt weir's own connections), and the bound
// on the pools kept per original destination.
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { lookup } from "node:dns/promises";
import { createServer as createHttpServer, request } from "node:http";
import { createServer as createNetServer } from "node:net";
import type { TestContext } from "node:test";
import { test } from "node:test";
import { loadConfig } from "../../src/config/load.ts";
import { type Generation, provision } from "../../src/generation.ts";
import { createHttpService } from "../../src/http/index.ts";
import { newConnectionContext } from "../../src/listener/connection.ts";
import type { DestinationLimits } from "../../src/listener/transparent-destinations.ts";
import { transparentHttpFilter } from "../../src/listener/transparent-http.ts";
import type { OriginalDestination } from "../../src/process/native.ts";
import { peekPools } from "../../src/upstream/pool/index.ts";
import { config, startOrigin } from "../http/harness.ts";

/**
 * Starts listener "side" of `toml` as a transparent HTTP service on 127.0.0.1:0; every connection is
 * taken to have been redirected from `originalDst(port)` (`port`: the service's own).
 */
async function startSidecar(
  t: TestContext,
  toml: string,
  originalDst: (port: number) => OriginalDestination,
  limits?: Partial<DestinationLimits>,
): Promise<number> {
  return (await startSidecarGen(t, toml, originalDst, limits)).port;
}

async function startSidecarGen(
  t: TestContext,
  toml: string,
  originalDst: (port: number) => OriginalDestination,
  limits?: Partial<DestinationLimits>,
): Promise<{ port: number; gen: Generation }> {
  const loaded = loadConfig({ text: config(toml) });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const gen = provision(loaded.config);
  const svc = createHttpService(gen, "side", [transparentHttpFilter(gen, limits)]);
  let port = 0;
  const server = createNetServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    const ctx = newConnectionContext("side", socket);
    ctx.originalDst = originalDst(port);
    svc.handle(socket, ctx);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as { port: number }).port;
  t.after(async () => {
    await svc.close(100);
    await new Promise<void>((r) => server.close(() => r()));
  });
  return { port, gen };
}

function get(
  port: number,
  host: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path: "/", headers: { host, ...headers }, agent: false, timeout: 3000 },
      (res) => {
        let body = "";
        res.on("data", (c: Buffer) => {
          body += c.toString();
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("no answer in 3 s")));
    req.on("error", reject);
    req.end();
  });
}

/** A UDP port with nobody behind it: DNS queries to it are refused at once. */
async function deadUdpPort(): Promise<number> {
  const s = createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test("a routed authority that discovery does not know is resolved by the system resolver", async (t) => {
  // Wherever this machine's resolver puts "localhost" (127.0.0.1 or ::1), the origin listens there.
  const { address } = await lookup("localhost");
  const seen: (string | undefined)[] = [];
  const origin = createHttpServer((req, res) => {
    seen.push(req.headers.host);
    res.end("from localhost");
  });
  await new Promise<void>((r) => origin.listen(0, address, r));
  t.after(() => {
    origin.closeAllConnections();
    return new Promise<void>((r) => origin.close(() => r()));
  });
  const targetPort = (origin.address() as { port: number }).port;
  const port = await startSidecar(
    t,
    `[listeners.side]
address = "127.0.0.1:0"
[[routes]]
host = "localhost"
upstream = "svc"
[upstreams.svc]
connect_timeout = "1s"
discovery = { dns = "localhost", port = ${targetPort}, servers = ["127.0.0.1:${await deadUdpPort()}"], timeout = "200ms" }
`,
    // The original destination is somewhere else: only the resolver can have found the origin.
    () => ({ address: "127.0.0.1", port: 9, family: 4 }),
  );
  const r = await get(port, `localhost:${targetPort}`);
  assert.equal(r.status, 200, r.body);
  assert.equal(r.body, "from localhost");
  assert.deepEqual(seen, [`localhost:${targetPort}`]);
});

test("a request that comes back to weir is answered 508 instead of looping", async (t) => {
  // Every connection "was redirected from" the sidecar's own address: what weir's own upstream connection
  // looks like when the iptables rules do not exempt weir's user.
  const port = await startSidecar(
    t,
    `[listeners.side]
address = "127.0.0.1:0"
`,
    (own) => ({ address: "127.0.0.1", port: own, family: 4 }),
  );
  const r = await get(port, "elsewhere.test");
  assert.equal(r.status, 508, r.body);
  assert.equal(r.body, "508 loop detected\n");
});

test("a request marked by another weir instance is forwarded, with this instance's id added", async (t) => {
  const origin = await startOrigin(t);
  const port = await startSidecar(
    t,
    `[listeners.side]
address = "127.0.0.1:0"
`,
    () => ({ address: "127.0.0.1", port: origin.port, family: 4 }),
  );
  const r = await get(port, "elsewhere.test", { "weir-loop": "0123456789abcdef" });
  assert.equal(r.status, 200, r.body);
  const marker = String(origin.seen[0]?.headers["weir-loop"]);
  assert.match(marker, /^0123456789abcdef, [0-9a-f]{16}$/);
  const plain = await get(port, "elsewhere.test");
  assert.equal(plain.status, 200);
  assert.match(String(origin.seen[1]?.headers["weir-loop"]), /^[0-9a-f]{16}$/);
});

test("pools per original destination stay within the bound; an evicted destination is served again", async (t) => {
  const origins = await Promise.all([0, 1, 2, 3, 4].map(() => startOrigin(t)));
  let target = 0;
  const { port, gen } = await startSidecarGen(
    t,
    `[listeners.side]
address = "127.0.0.1:0"
`,
    () => ({ address: "127.0.0.1", port: origins[target]!.port, family: 4 }),
    { maxEntries: 2 },
  );
  const destinationPools = () =>
    [...(peekPools(gen)?.poolStats() ?? [])]
      .filter(([upstream]) => upstream === "original_dst")
      .map((r) => r[1]);
  for (const round of [0, 1]) {
    for (let i = 0; i < origins.length; i++) {
      target = i;
      const r = await get(port, `dst${i}.test`);
      assert.equal(r.status, 200, `round ${round}, destination ${i}: ${r.body}`);
      // Evicted pools close once the pool module's import settles.
      await new Promise((r) => setImmediate(r));
      const pools = destinationPools();
      assert.ok(pools.length <= 2, `round ${round}, destination ${i}: pools ${pools.join(", ")}`);
      assert.ok(pools.includes(`127.0.0.1:${origins[i]!.port}`));
    }
  }
  for (const origin of origins) assert.equal(origin.seen.length, 2);
});
