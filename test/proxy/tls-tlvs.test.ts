// A listener that terminates TLS itself and an upstream with proxy_protocol = "v2": the header weir sends
// carries the SNI as AUTHORITY and the negotiated protocol as ALPN (issue 5: "v2 carries ... where known,
// ALPN, AUTHORITY (the SNI)"), as HAProxy's `proxy-v2-options authority,alpn` do. The origin parses the
// header with weir's own codec.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { connect as http2Connect } from "node:http2";
import { join } from "node:path";
import { test } from "node:test";
import { connect as tlsConnect } from "node:tls";
import { requirePrograms } from "../lib/peers.ts";
import { tempDir } from "../lib/weir-process.ts";
import { makeCa, makeLeaf } from "../tls/certs.ts";
import { httpOrigin, startWeir } from "./harness.ts";

type Echo = { url: string; proxy?: { address: string } };

/** One HTTP/1.1 request over TLS with this SNI and ALPN offer; the origin's JSON echo. */
function overTls(port: number, ca: Buffer, servername: string, path: string): Promise<Echo> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ port, host: "127.0.0.1", servername, ca, ALPNProtocols: ["http/1.1"] });
    let got = "";
    s.on("data", (d: Buffer) => {
      got += d.toString();
    });
    s.once("error", reject);
    s.once("end", () => {
      const body = got.slice(got.indexOf("\r\n\r\n") + 4);
      try {
        resolve(JSON.parse(body) as Echo);
      } catch {
        reject(new Error(`not an echo: ${JSON.stringify(got)}`));
      }
    });
    s.once("secureConnect", () =>
      s.write(`GET ${path} HTTP/1.1\r\nhost: ${servername}\r\nconnection: close\r\n\r\n`),
    );
  });
}

/** One HTTP/2 request over TLS (ALPN h2). */
function overH2(port: number, ca: Buffer, servername: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const session = http2Connect(`https://127.0.0.1:${port}`, { ca, servername });
    session.once("error", reject);
    const req = session.request({ ":path": path });
    req.once("response", (h) => {
      req.resume();
      req.once("end", () => {
        session.close();
        resolve(Number(h[":status"]));
      });
    });
    req.once("error", reject);
    req.end();
  });
}

test("TLS terminated by weir: the v2 header sent upstream carries AUTHORITY (the SNI) and ALPN", async (t) => {
  if (!requirePrograms(t, "openssl")) return;
  const ca = makeCa(join(tempDir("weir-pp-tlv-certs-"), "pki"));
  const leaf = makeLeaf(ca, "a", ["a.test", "b.test"]);
  const origin = await httpOrigin(t, true);
  const weir = await startWeir(
    t,
    `
[listeners.edge]
address = "127.0.0.1:0"
protocol = "auto"
[listeners.edge.tls]
certificates = [{ cert = "${leaf.cert}", key = "${leaf.key}" }]
[[routes]]
upstream = "pp"
[upstreams.pp]
endpoints = ["127.0.0.1:${origin.port}"]
proxy_protocol = "v2"
`,
    "edge",
  );
  const caPem = readFileSync(ca.ca);

  await overTls(weir.port, caPem, "a.test", "/h1");
  const h1 = origin.seen.find((s) => s.url === "/h1");
  assert.ok(h1?.proxy, "the origin parsed a PROXY header");
  assert.equal(h1.proxy.command, "proxy");
  assert.equal(h1.proxy.authority, "a.test");
  assert.equal(h1.proxy.alpn, "http/1.1");
  assert.ok(h1.proxy.uniqueId !== undefined && h1.proxy.uniqueId.length > 0);

  assert.equal(await overH2(weir.port, caPem, "b.test", "/h2"), 200);
  const h2 = origin.seen.find((s) => s.url === "/h2");
  assert.ok(h2?.proxy);
  assert.equal(h2.proxy.authority, "b.test");
  assert.equal(h2.proxy.alpn, "h2");
});
