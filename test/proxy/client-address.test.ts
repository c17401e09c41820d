// The client address after the PROXY header, and behind trusted HTTP proxies, is the one weir uses: each
// client gets upstream connections of its own when the upstream is sent PROXY headers, and the access
// log names the client that X-Forwarded-For reveals behind a trusted CDN.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "../lib/weir-process.ts";
import { connectWhenUp, httpOrigin, requestOver, startWeir } from "./harness.ts";

test("HTTP upstream connections carrying a PROXY header are per client, reused only by that client", async (t) => {
  const origin = await httpOrigin(t, true);
  const weir = await startWeir(
    t,
    `
[listeners.web]
address = "127.0.0.1:0"
protocol = "http"
[[routes]]
upstream = "pp"
[upstreams.pp]
endpoints = ["127.0.0.1:${origin.port}"]
proxy_protocol = "v2"
`,
    "web",
  );
  const a = await connectWhenUp(weir.port, "127.0.0.2");
  const b = await connectWhenUp(weir.port, "127.0.0.3");
  type Seen = { connection: number; proxy: { address: string; port: number } };
  const ask = async (s: typeof a, path: string) => (await requestOver(s, "", path)) as unknown as Seen;
  const a1 = await ask(a, "/a1");
  const b1 = await ask(b, "/b1");
  const a2 = await ask(a, "/a2");
  const b2 = await ask(b, "/b2");
  assert.deepEqual(a1.proxy, { address: "127.0.0.2", port: a.localPort });
  assert.deepEqual(b1.proxy, { address: "127.0.0.3", port: b.localPort });
  assert.equal(a2.connection, a1.connection, "a client's requests reuse its upstream connection");
  assert.equal(b2.connection, b1.connection);
  assert.notEqual(a1.connection, b1.connection, "two clients never share one");
  assert.deepEqual(a2.proxy, a1.proxy);
  assert.deepEqual(b2.proxy, b1.proxy);
  // A new connection from the same address is another client (another port): another upstream connection.
  const a3 = await connectWhenUp(weir.port, "127.0.0.2");
  const again = await ask(a3, "/a3");
  assert.notEqual(again.connection, a1.connection);
  assert.deepEqual(again.proxy, { address: "127.0.0.2", port: a3.localPort });
  for (const s of [a, b, a3]) s.destroy();
});

test("behind a trusted proxy, the client is the rightmost X-Forwarded-For address that is not trusted", async (t) => {
  const origin = await httpOrigin(t);
  const log = join(tempDir("weir-pp-log-"), "access.log");
  const weir = await startWeir(
    t,
    `
[access_log]
output = "${log}"
[listeners.cdn]
address = "127.0.0.1:0"
protocol = "http"
http = { trusted_proxies = ["127.0.0.0/8", "203.0.113.0/24"] }
[[routes]]
upstream = "origin"
[upstreams.origin]
endpoints = ["127.0.0.1:${origin.port}"]
`,
    "cdn",
  );
  const s = await connectWhenUp(weir.port, "127.0.0.2");
  const body = await requestOver(s, "", "/xff", "x-forwarded-for: 1.1.1.1, 198.51.100.7, 203.0.113.5\r\n");
  s.destroy();
  assert.notEqual(body, "closed");
  // The chain is kept and extended with the peer, as a trusted proxy's should be.
  assert.equal(
    (body as { headers: Record<string, string> }).headers["x-forwarded-for"],
    "1.1.1.1, 198.51.100.7, 203.0.113.5, 127.0.0.2",
  );
  let line: { client?: string } | undefined;
  for (let i = 0; i < 50 && line === undefined; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const text = (() => {
      try {
        return readFileSync(log, "utf8");
      } catch {
        return "";
      }
    })();
    const found = text.split("\n").find((l) => l.includes('"/xff"'));
    if (found) line = JSON.parse(found) as { client?: string };
  }
  assert.equal(line?.client, "198.51.100.7");
});
