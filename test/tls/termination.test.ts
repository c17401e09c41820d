// TLS termination on "http" and "auto" listeners, checked with real clients: certificate choice by SNI
// (exact, wildcard, default, refused), ALPN, version and cipher policy, session resumption, HTTP/1.1 and
// HTTP/2 over TLS with curl and nghttp, plain HTTP beside TLS, malformed ClientHellos counted.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import { before, describe, type TestContext, test } from "node:test";
import { requirePrograms } from "../lib/peers.ts";
import { tempDir } from "../lib/weir-process.ts";
import { makeCa, makeLeaf, type TestCa, type TestCert } from "./certs.ts";
import { certificatesToml, run, sClient, startTlsProxy, type TlsProxy } from "./harness.ts";

let ca: TestCa;
let a: TestCert;
let b: TestCert;

async function origin(t: TestContext): Promise<number> {
  const server = createServer((req, res) => {
    const body = JSON.stringify({
      url: req.url,
      host: req.headers.host,
      proto: req.headers["x-forwarded-proto"],
    });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return (server.address() as { port: number }).port;
}

async function edge(t: TestContext, tlsExtra = "", protocol = "auto"): Promise<TlsProxy> {
  const port = await origin(t);
  return startTlsProxy(
    t,
    `[listeners.edge]
address = "127.0.0.1:0"
protocol = "${protocol}"
[listeners.edge.tls]
${certificatesToml([a, b])}
ciphers = ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-CHACHA20-POLY1305"]
${tlsExtra}
[[routes]]
upstream = "o"
[upstreams.o]
endpoints = ["127.0.0.1:${port}"]
`,
  );
}

describe("TLS termination", () => {
  before(() => {
    ca = makeCa(join(tempDir("weir-tls-certs-"), "pki"));
    a = makeLeaf(ca, "a", ["a.test"]);
    b = makeLeaf(ca, "wild-b", ["*.b.test"]);
  });

  test("SNI chooses the certificate: exact, wildcard, default without SNI or for an unknown name", async (t) => {
    if (!requirePrograms(t, "openssl")) return;
    const p = await edge(t);
    assert.match((await sClient(p.port, ["-servername", "a.test"])).subject ?? "", /CN = a\.test/);
    assert.match((await sClient(p.port, ["-servername", "x.b.test"])).subject ?? "", /CN = \*\.b\.test/);
    // One label only (RFC 6125 §6.4.3): y.x.b.test is not covered by *.b.test and gets the default.
    assert.match((await sClient(p.port, ["-servername", "y.x.b.test"])).subject ?? "", /CN = a\.test/);
    assert.match((await sClient(p.port, ["-noservername"])).subject ?? "", /CN = a\.test/);
  });

  test('unknown_sni = "refuse" ends the handshake with unrecognized_name, counted', async (t) => {
    if (!requirePrograms(t, "openssl")) return;
    const p = await edge(t, 'unknown_sni = "refuse"');
    const r = await sClient(p.port, ["-servername", "nobody.test"]);
    assert.equal(r.ok, false);
    assert.match(r.output, /unrecognized name|alert number 112/);
    assert.equal(await p.failures("unknown_sni"), 1);
    assert.ok((await sClient(p.port, ["-servername", "a.test"])).ok);
  });

  test("ALPN: h2 and http/1.1 offered, the listener's list decides", async (t) => {
    if (!requirePrograms(t, "openssl")) return;
    const p = await edge(t);
    assert.equal((await sClient(p.port, ["-servername", "a.test", "-alpn", "h2,http/1.1"])).alpn, "h2");
    assert.equal((await sClient(p.port, ["-servername", "a.test", "-alpn", "http/1.1"])).alpn, "http/1.1");
    const only1 = await edge(t, 'alpn = ["http/1.1"]');
    assert.equal(
      (await sClient(only1.port, ["-servername", "a.test", "-alpn", "h2,http/1.1"])).alpn,
      "http/1.1",
    );
  });

  test("TLS 1.0 and 1.1 are refused; 1.2 negotiates only the listed ciphers", async (t) => {
    if (!requirePrograms(t, "openssl")) return;
    const p = await edge(t);
    for (const old of ["-tls1_1", "-tls1"]) {
      const r = await sClient(p.port, ["-servername", "a.test", old]);
      assert.equal(r.ok, false, `${old} must fail:\n${r.output}`);
    }
    assert.ok((await p.failures("unsupported_protocol")) >= 1);
    const outside = await sClient(p.port, [
      "-servername",
      "a.test",
      "-tls1_2",
      "-cipher",
      "ECDHE-RSA-AES256-GCM-SHA384",
    ]);
    assert.equal(outside.ok, false, outside.output);
    assert.ok((await p.failures("no_shared_cipher")) >= 1);
    for (const inside of ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-CHACHA20-POLY1305"]) {
      const r = await sClient(p.port, ["-servername", "a.test", "-tls1_2", "-cipher", inside]);
      assert.equal(r.cipher, inside, r.output);
      assert.equal(r.protocol, "TLSv1.2");
    }
  });

  test("TLS 1.3 suites, groups and min_version follow the policy", async (t) => {
    if (!requirePrograms(t, "openssl")) return;
    const p = await edge(
      t,
      'min_version = "1.3"\nciphersuites = ["TLS_AES_128_GCM_SHA256"]\ngroups = ["X25519"]',
    );
    const ok = await sClient(p.port, [
      "-servername",
      "a.test",
      "-ciphersuites",
      "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384",
    ]);
    assert.equal(ok.cipher, "TLS_AES_128_GCM_SHA256", ok.output);
    assert.equal(
      (await sClient(p.port, ["-servername", "a.test", "-ciphersuites", "TLS_AES_256_GCM_SHA384"])).ok,
      false,
    );
    assert.equal((await sClient(p.port, ["-servername", "a.test", "-groups", "P-256"])).ok, false);
    assert.equal((await sClient(p.port, ["-servername", "a.test", "-tls1_2"])).ok, false);
  });

  test("sessions resume with tickets, TLS 1.3 and 1.2", async (t) => {
    if (!requirePrograms(t, "openssl")) return;
    const p = await edge(t);
    const dir = tempDir("weir-tls-sess-");
    // A TLS 1.3 ticket arrives after the handshake: ask for a response (and the close) to be sure to get it.
    const request = "GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n";
    for (const version of ["-tls1_3", "-tls1_2"]) {
      const file = join(dir, `sess${version}`);
      const first = await sClient(
        p.port,
        ["-servername", "a.test", version, "-ign_eof", "-sess_out", file],
        request,
      );
      assert.ok(first.ok && !first.reused, first.output);
      const again = await sClient(
        p.port,
        ["-servername", "a.test", version, "-ign_eof", "-sess_in", file],
        request,
      );
      assert.ok(again.reused, `${version} did not resume:\n${again.output}`);
    }
    const metric = await p.gen.metrics.registry.getSingleMetric("weir_tls_handshakes_total")?.get();
    const resumed = metric?.values.filter((v) => v.labels.resumed === "yes").reduce((n, v) => n + v.value, 0);
    assert.equal(resumed, 2);
  });

  test("curl over TLS: HTTP/2 and HTTP/1.1, verified against the CA; plain HTTP on the same auto port", async (t) => {
    if (!requirePrograms(t, "curl")) return;
    const p = await edge(t);
    const base = [
      "-sS",
      "--cacert",
      ca.ca,
      "--resolve",
      `a.test:${p.port}:127.0.0.1`,
      "-w",
      "\n%{http_version}",
    ];
    const h2 = await run("curl", [...base, "--http2", `https://a.test:${p.port}/two`]);
    assert.equal(h2.code, 0, h2.stderr);
    const [body2, version2] = h2.stdout.split("\n");
    assert.equal(version2, "2");
    assert.deepEqual(JSON.parse(body2 as string), { url: "/two", host: `a.test:${p.port}`, proto: "https" });
    const h1 = await run("curl", [...base, "--http1.1", `https://a.test:${p.port}/one`]);
    assert.equal(h1.code, 0, h1.stderr);
    assert.equal(h1.stdout.split("\n")[1], "1.1");
    const plain = await run("curl", ["-sS", "-H", "Host: a.test", `http://127.0.0.1:${p.port}/plain`]);
    assert.deepEqual(JSON.parse(plain.stdout), { url: "/plain", host: "a.test", proto: "http" });
  });

  test("nghttp over TLS negotiates h2 by ALPN", async (t) => {
    if (!requirePrograms(t, "nghttp")) return;
    const p = await edge(t, "", "http");
    const r = await run("nghttp", ["-v", `https://127.0.0.1:${p.port}/ng`, "-H", ":authority: x.b.test"]);
    assert.match(r.stdout, /The negotiated protocol: h2/);
    assert.match(r.stdout, /:status: 200/);
    assert.match(r.stdout, /"url":"\/ng"/);
  });

  test("a TLS-only listener refuses plain bytes and malformed ClientHellos, counted, without throwing", async (t) => {
    const p = await edge(t, 'handshake_timeout = "300ms"', "http");
    const exchange = (bytes: Buffer) =>
      new Promise<string>((resolve) => {
        const s = connect(p.port, "127.0.0.1", () => s.write(bytes));
        const got: Buffer[] = [];
        s.on("data", (c: Buffer) => got.push(c));
        s.on("error", () => {});
        s.on("close", () => resolve(Buffer.concat(got).toString("latin1")));
      });
    // A ServerHello (type 2) where a ClientHello must be.
    assert.equal(
      await exchange(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00])),
      "",
    );
    assert.equal(await p.failures("tls_not_client_hello"), 1);
    // A ClientHello whose body length overruns its record: malformed.
    const bad = Buffer.from([0x16, 0x03, 0x01, 0x00, 0x06, 0x01, 0x00, 0x00, 0x02, 0x03, 0x03]);
    assert.equal(await exchange(bad), "");
    assert.equal(await exchange(Buffer.from("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n")), "");
    assert.equal(await p.failures("tls_not_handshake"), 1);
    // Half a hello, then silence: closed at the handshake timeout.
    assert.equal(await exchange(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])), "");
    assert.equal(await p.failures("hello_timeout"), 1);
    const total = await p.gen.metrics.registry.getSingleMetric("weir_tls_failures_total")?.get();
    assert.ok((total?.values.reduce((n, v) => n + v.value, 0) ?? 0) >= 4);
    assert.match(p.log(), /TLS connection refused/);
  });
});
