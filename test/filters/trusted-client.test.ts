// Behind trusted proxies the request's client is the one X-Forwarded-For reveals (issue 5), and every
// request-level reader uses it: cidr at request arrival, rate-limit keys, ${client_addr} in set_headers,
// the auth service's X-Forwarded-For and ring_hash on the client. Two trusted proxies (127.0.0.3 and
// 127.0.0.4) forward the same clients: what a rule decides must follow the client, not the proxy.
import assert from "node:assert/strict";
import { test } from "node:test";
import { originConfig, send, startOrigin, startWeir } from "./harness.ts";

const PROXIES = ["127.0.0.3", "127.0.0.4"] as const;

function via(proxy: string, client: string, extra: Record<string, string> = {}) {
  return { localAddress: proxy, headers: { "x-forwarded-for": client, ...extra } };
}

test("behind trusted proxies, request filters and ring_hash see the X-Forwarded-For client", async (t) => {
  const origin = await startOrigin(t);
  const left = await startOrigin(t);
  const right = await startOrigin(t);
  const auth = await startOrigin(t, (_req, res) => {
    res.writeHead(204);
    res.end();
  });
  const weir = await startWeir(
    t,
    originConfig(origin.port, {
      listener: 'http.trusted_proxies = ["127.0.0.3/32", "127.0.0.4/32"]',
      routes: `[[routes]]
path_prefix = "/cidr"
upstream = "origin"
[[routes.filters]]
kind = "cidr"
deny = ["198.51.100.66", "2001:db8::66"]
[[routes]]
path_prefix = "/limited"
upstream = "origin"
[[routes.filters]]
kind = "rate_limit"
key = "client_addr"
rate = 1
burst = 1
[[routes]]
path_prefix = "/auth"
upstream = "origin"
[[routes.filters]]
kind = "auth_request"
url = "http://127.0.0.1:${auth.port}/check"
timeout = "1s"
[[routes]]
path_prefix = "/hash"
upstream = "pair"`,
      filters: `[[routes.filters]]
kind = "set_headers"
request = { "x-client" = "\${client_addr}" }`,
      upstreams: `[upstreams.pair]
endpoints = ["127.0.0.1:${left.port}", "127.0.0.1:${right.port}"]
balance = "ring_hash"
hash = { on = "client" }`,
    }),
  );

  // ${client_addr}
  assert.equal((await send(weir.port, "/", via("127.0.0.3", "192.0.2.1"))).status, 200);
  assert.equal(origin.seen.at(-1)?.headers["x-client"], "192.0.2.1");
  assert.equal((await send(weir.port, "/", via("127.0.0.4", "2001:db8::1"))).status, 200);
  assert.equal(origin.seen.at(-1)?.headers["x-client"], "2001:db8::1");
  // An untrusted peer's X-Forwarded-For is ignored: it is the client itself.
  await send(weir.port, "/", via("127.0.0.5", "192.0.2.1"));
  assert.equal(origin.seen.at(-1)?.headers["x-client"], "127.0.0.5");

  // cidr at request arrival, IPv4 and IPv6, whichever proxy forwards the client.
  for (const proxy of PROXIES) {
    assert.equal((await send(weir.port, "/cidr", via(proxy, "198.51.100.66"))).status, 403);
    assert.equal((await send(weir.port, "/cidr", via(proxy, "2001:db8::66"))).status, 403);
    assert.equal((await send(weir.port, "/cidr", via(proxy, "198.51.100.67"))).status, 200);
  }

  // rate_limit keyed by client: one bucket per client, shared across the proxies that forward it.
  assert.equal((await send(weir.port, "/limited", via("127.0.0.3", "198.51.100.1"))).status, 200);
  assert.equal((await send(weir.port, "/limited", via("127.0.0.4", "198.51.100.1"))).status, 429);
  assert.equal((await send(weir.port, "/limited", via("127.0.0.3", "198.51.100.2"))).status, 200);

  // The auth service is told the client.
  assert.equal((await send(weir.port, "/auth", via("127.0.0.3", "192.0.2.9"))).status, 200);
  assert.deepEqual(
    auth.seen.map((s) => s.headers["x-forwarded-for"]),
    ["192.0.2.9"],
  );

  // ring_hash on the client: a client keeps its endpoint through either proxy, and clients spread.
  const reached = (path: string) =>
    left.seen.some((s) => s.url === path) ? "left" : right.seen.some((s) => s.url === path) ? "right" : "";
  const sides = new Set<string>();
  for (let i = 10; i < 26; i++) {
    const client = `198.51.100.${i}`;
    const picks: string[] = [];
    for (const proxy of PROXIES) {
      const path = `/hash/${client}/${proxy}`;
      assert.equal((await send(weir.port, path, via(proxy, client))).status, 200);
      picks.push(reached(path));
    }
    assert.equal(picks[0], picks[1], `${client} reaches the same endpoint through both proxies`);
    sides.add(picks[0]!);
  }
  assert.deepEqual([...sides].sort(), ["left", "right"], "different clients hash to both endpoints");
});
