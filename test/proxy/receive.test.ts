// Receiving PROXY headers on weir's listeners with real sockets: the header's source becomes the client
// address the origin sees in X-Forwarded-For; bytes after the header survive; untrusted peers, malformed,
// truncated, oversized and late headers close the connection and are counted.
import assert from "node:assert/strict";
import { test } from "node:test";
import { buildProxyHeaderV1, buildProxyHeaderV2 } from "../../src/protocol/proxy-header/index.ts";
import { closedWithin, connectWhenUp, headerOrigin, httpOrigin, requestOver, startWeir } from "./harness.ts";

const V1 = buildProxyHeaderV1({
  source: { address: "203.0.113.7", port: 4711 },
  destination: { address: "198.51.100.1", port: 80 },
});
const V2 = buildProxyHeaderV2(
  {
    source: { address: "2001:db8::7", port: 4712 },
    destination: { address: "2001:db8::1", port: 443 },
    alpn: "h2",
    authority: "app.example",
    uniqueId: Buffer.from("req-42"),
  },
  { crc32c: true },
);

function httpListener(origin: number, extra = ""): string {
  return `
[listeners.pp]
address = "127.0.0.1:0"
protocol = "http"
proxy_protocol = "any"
proxy_protocol_from = ["127.0.0.0/8"]
proxy_protocol_timeout = "400ms"
${extra}
[[routes]]
upstream = "origin"
[upstreams.origin]
endpoints = ["127.0.0.1:${origin}"]
`;
}

const failures = "weir_proxy_header_failures_total";

test("v1 and v2 headers: the origin sees the header's source in X-Forwarded-For; LOCAL and UNKNOWN keep the socket's", async (t) => {
  const origin = await httpOrigin(t);
  const weir = await startWeir(t, httpListener(origin.port), "pp");
  const ask = async (prefix: Buffer | string) => {
    const s = await connectWhenUp(weir.port);
    const body = await requestOver(s, prefix);
    s.destroy();
    assert.notEqual(body, "closed");
    return (body as { headers: Record<string, string> }).headers;
  };
  // The header and the request arrive in one write: nothing after the header may be lost.
  assert.equal((await ask(V1))["x-forwarded-for"], "203.0.113.7");
  assert.equal((await ask(V2))["x-forwarded-for"], "2001:db8::7");
  assert.equal((await ask(buildProxyHeaderV2({ command: "local" })))["x-forwarded-for"], "127.0.0.1");
  assert.equal((await ask("PROXY UNKNOWN\r\n"))["x-forwarded-for"], "127.0.0.1");
});

test("a header split over many small writes, then the request in a later write", async (t) => {
  const origin = await httpOrigin(t);
  const weir = await startWeir(t, httpListener(origin.port), "pp");
  const s = await connectWhenUp(weir.port);
  s.setNoDelay(true);
  for (let i = 0; i < V2.length; i += 7) {
    s.write(V2.subarray(i, i + 7));
    await new Promise((r) => setTimeout(r, 5));
  }
  const body = await requestOver(s, "", "/split");
  s.destroy();
  assert.notEqual(body, "closed");
  assert.equal((body as { headers: Record<string, string> }).headers["x-forwarded-for"], "2001:db8::7");
});

test("a peer outside proxy_protocol_from is closed before anything is read, and counted", async (t) => {
  const origin = await httpOrigin(t);
  const weir = await startWeir(
    t,
    httpListener(origin.port).replace('["127.0.0.0/8"]', '["10.0.0.0/8", "fd00::/8"]'),
    "pp",
  );
  const s = await connectWhenUp(weir.port);
  assert.equal(await requestOver(s, V1), "closed");
  assert.equal(origin.seen.length, 0);
  assert.equal(
    await weir.metric("weir_connections_rejected_total", { listener: "pp", reason: "proxy_protocol_from" }),
    1,
  );
});

test("malformed, oversized, truncated and late headers close the connection and are counted by code", async (t) => {
  const origin = await httpOrigin(t);
  const weir = await startWeir(t, httpListener(origin.port), "pp");
  const cases: [string, Buffer | string, string][] = [
    ["no header at all", "GET / HTTP/1.1\r\nhost: x\r\n\r\n", "PROXY_BAD_SIGNATURE"],
    ["bad v1 syntax", "PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n", "PROXY_V1_BAD_SYNTAX"],
    ["v1 without CRLF in 107 bytes", `PROXY UNKNOWN ${"x".repeat(120)}`, "PROXY_V1_TOO_LONG"],
    [
      "bad v2 CRC32C",
      Buffer.concat([V2.subarray(0, V2.length - 1), Buffer.from([V2.at(-1)! ^ 1])]),
      "PROXY_BAD_CRC",
    ],
  ];
  for (const [what, bytes, code] of cases) {
    const s = await connectWhenUp(weir.port);
    s.write(bytes);
    const ms = await closedWithin(s);
    assert.ok(ms < 300, `${what}: closed after ${ms} ms, before the timeout`);
    assert.equal(await weir.metric(failures, { listener: "pp", code }), 1, what);
  }
  // Truncated: the peer sends half a header and its FIN.
  const half = await connectWhenUp(weir.port);
  half.end(V2.subarray(0, 20));
  await closedWithin(half);
  assert.equal(await weir.metric(failures, { listener: "pp", code: "PROXY_TRUNCATED" }), 1);
  // Late: part of a header, then silence past proxy_protocol_timeout (400ms).
  const slow = await connectWhenUp(weir.port);
  slow.write("PROXY TCP4 203.0.113.7 ");
  const ms = await closedWithin(slow);
  assert.ok(ms >= 350 && ms < 3000, `closed after ${ms} ms`);
  assert.equal(await weir.metric(failures, { listener: "pp", code: "PROXY_TIMEOUT" }), 1);
  assert.equal(origin.seen.length, 0);
});

test('proxy_protocol = "v1" refuses a v2 header', async (t) => {
  const origin = await httpOrigin(t);
  const weir = await startWeir(t, httpListener(origin.port).replace('"any"', '"v1"'), "pp");
  const s = await connectWhenUp(weir.port);
  assert.equal(await requestOver(s, V2), "closed");
  assert.equal(await weir.metric(failures, { listener: "pp", code: "PROXY_VERSION_NOT_ALLOWED" }), 1);
});

test("tcp listener: the bytes after the header reach the upstream unchanged, in the same packet or later", async (t) => {
  const upstream = await headerOrigin(t, (a) => a.socket.end(a.rest), 0);
  const weir = await startWeir(
    t,
    `
[listeners.raw]
address = "127.0.0.1:0"
protocol = "tcp"
upstream = "u"
proxy_protocol = "v2"
[upstreams.u]
endpoints = ["127.0.0.1:${upstream.port}"]
`,
    "raw",
  );
  const s = await connectWhenUp(weir.port);
  const chunks: Buffer[] = [];
  s.on("data", (c: Buffer) => chunks.push(c));
  s.end(Buffer.concat([V2, Buffer.from("payload after the header")]));
  await closedWithin(s);
  // The upstream here does not expect a header (none configured): it sees the client's bytes first.
  assert.equal(upstream.arrivals[0]?.result.kind, "error");
  assert.equal(Buffer.concat(chunks).toString(), "payload after the header");
});

test("auto listener: the header is read before detection, HTTP is served and other bytes are tunnelled", async (t) => {
  const origin = await httpOrigin(t);
  const raw = await headerOrigin(t, (a) => a.socket.end(`raw:${a.rest.toString()}`), 3);
  const weir = await startWeir(
    t,
    `
[listeners.mixed]
address = "127.0.0.1:0"
protocol = "auto"
upstream = "raw"
proxy_protocol = "any"
[[routes]]
upstream = "origin"
[upstreams.origin]
endpoints = ["127.0.0.1:${origin.port}"]
[upstreams.raw]
endpoints = ["127.0.0.1:${raw.port}"]
`,
    "mixed",
  );
  const s = await connectWhenUp(weir.port);
  const body = await requestOver(s, V1);
  s.destroy();
  assert.notEqual(body, "closed");
  assert.equal((body as { headers: Record<string, string> }).headers["x-forwarded-for"], "203.0.113.7");

  const opaque = await connectWhenUp(weir.port);
  const chunks: Buffer[] = [];
  opaque.on("data", (c: Buffer) => chunks.push(c));
  opaque.write(Buffer.concat([V1, Buffer.from("\x16\x00hello")]));
  await closedWithin(opaque);
  assert.equal(Buffer.concat(chunks).toString("latin1"), "raw:\x16\x00hello");
});
