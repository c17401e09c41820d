// SNI passthrough to a real TLS server (openssl s_server: the client must see its certificate, not
// weir's), and TLS from weir to upstreams: verified against a CA with a server_name override, refused
// with the wrong CA, client certificates for an mTLS origin, HTTP/2 by ALPN, and the insecure switch.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createSecureServer } from "node:http2";
import { createServer as createHttpsServer } from "node:https";
import { connect, createServer as createNetServer } from "node:net";
import { join } from "node:path";
import { before, describe, type TestContext, test } from "node:test";
import { requirePrograms } from "../lib/peers.ts";
import { tempDir } from "../lib/weir-process.ts";
import { makeCa, makeLeaf, type TestCa, type TestCert } from "./certs.ts";
import { certificatesToml, run, sClient, startTlsProxy } from "./harness.ts";

let ca: TestCa;
let other: TestCa;
let edgeCert: TestCert;
let dbCert: TestCert;
let originCert: TestCert;
let clientCert: TestCert;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createNetServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1", () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

/** An HTTPS origin answering with what it saw: the HTTP version and the client certificate's CN. */
async function httpsOrigin(t: TestContext, opts: { mtls?: boolean; h2?: boolean } = {}): Promise<number> {
  const tls = {
    cert: readFileSync(originCert.cert),
    key: readFileSync(originCert.key),
    ...(opts.mtls ? { ca: readFileSync(ca.ca), requestCert: true, rejectUnauthorized: true } : {}),
  };
  const handler = (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => {
    const peer = (req.socket as import("node:tls").TLSSocket).getPeerCertificate?.();
    res.end(JSON.stringify({ version: req.httpVersion, client: peer?.subject?.CN ?? null }));
  };
  const server = opts.h2
    ? createSecureServer({ ...tls, allowHTTP1: false }, handler as never)
    : createHttpsServer(tls, handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => server.close());
  return (server.address() as { port: number }).port;
}

function upstreamConfig(port: number, tls: string, h2 = false): string {
  return `[listeners.edge]
address = "127.0.0.1:0"
protocol = "http"
[listeners.edge.tls]
${certificatesToml([edgeCert])}
[[routes]]
upstream = "o"
[upstreams.o]
endpoints = ["127.0.0.1:${port}"]
h2 = ${h2}
tls = ${tls}
`;
}

async function get(port: number): Promise<{ code: number; status: string; body: string }> {
  const r = await run("curl", [
    ...["-sS", "--cacert", ca.ca, "--resolve", `edge.test:${port}:127.0.0.1`, "-w", "\n%{http_code}"],
    `https://edge.test:${port}/`,
  ]);
  const at = r.stdout.lastIndexOf("\n");
  return { code: r.code, body: r.stdout.slice(0, at), status: r.stdout.slice(at + 1) };
}

describe("TLS passthrough and upstream TLS", () => {
  before(() => {
    const dir = tempDir("weir-tls-pki-");
    ca = makeCa(join(dir, "main"));
    other = makeCa(join(dir, "other"), "other");
    edgeCert = makeLeaf(ca, "edge", ["edge.test"]);
    dbCert = makeLeaf(other, "db", ["db.test"]);
    originCert = makeLeaf(ca, "origin", ["origin.test"]);
    clientCert = makeLeaf(ca, "client", ["weir-client"], { client: true });
  });

  test("a passthrough route hands the raw TLS to an openssl s_server: the client sees its certificate", async (t) => {
    if (!requirePrograms(t, "openssl", "curl")) return;
    const port = await freePort();
    const server = spawn(
      "openssl",
      ["s_server", "-accept", String(port), "-cert", dbCert.cert, "-key", dbCert.key, "-www", "-quiet"],
      { stdio: ["pipe", "ignore", "ignore"] },
    );
    t.after(() => server.kill());
    await waitForPort(port);
    const p = await startTlsProxy(
      t,
      `[listeners.edge]
address = "127.0.0.1:0"
protocol = "auto"
[listeners.edge.tls]
${certificatesToml([edgeCert])}
[[routes]]
sni = "db.test"
passthrough = true
upstream = "db"
[[routes]]
respond = { status = 200, body = "weir" }
[upstreams.db]
endpoints = ["127.0.0.1:${port}"]
`,
    );
    const through = await sClient(p.port, ["-servername", "db.test"]);
    assert.match(through.subject ?? "", /CN = db\.test/, through.output);
    assert.match(through.output, /issuer=CN = weir test other/);
    // The whole session is the upstream's: an HTTP request over it gets s_server's -www page.
    const page = await run("curl", [
      ...["-sS", "--cacert", other.ca, "--resolve", `db.test:${p.port}:127.0.0.1`],
      `https://db.test:${p.port}/`,
    ]);
    assert.equal(page.code, 0, page.stderr);
    assert.match(page.stdout, /s_server/);
    // Other names are terminated by weir.
    assert.match((await sClient(p.port, ["-servername", "edge.test"])).subject ?? "", /CN = edge\.test/);
    const metric = await p.gen.metrics.registry.getSingleMetric("weir_tls_passthrough_total")?.get();
    assert.equal(
      metric?.values.reduce((n, v) => n + v.value, 0),
      2,
    );
  });

  test("upstream TLS is verified against the given CA with server_name; the wrong CA gets 502", async (t) => {
    if (!requirePrograms(t, "curl")) return;
    const origin = await httpsOrigin(t);
    const good = await startTlsProxy(
      t,
      upstreamConfig(origin, `{ ca = "${ca.ca}", server_name = "origin.test" }`),
    );
    const ok = await get(good.port);
    assert.equal(ok.status, "200", ok.body);
    assert.deepEqual(JSON.parse(ok.body), { version: "1.1", client: null });
    const wrongCa = await startTlsProxy(
      t,
      upstreamConfig(origin, `{ ca = "${other.ca}", server_name = "origin.test" }`),
    );
    assert.equal((await get(wrongCa.port)).status, "502");
    const wrongName = await startTlsProxy(
      t,
      upstreamConfig(origin, `{ ca = "${ca.ca}", server_name = "else.test" }`),
    );
    assert.equal((await get(wrongName.port)).status, "502");
    // System CAs by default: a private CA is not among them.
    const system = await startTlsProxy(t, upstreamConfig(origin, `{ server_name = "origin.test" }`));
    assert.equal((await get(system.port)).status, "502");
  });

  test("insecure_skip_verify connects to anything, and says so at start", async (t) => {
    if (!requirePrograms(t, "curl")) return;
    const origin = await httpsOrigin(t);
    const p = await startTlsProxy(t, upstreamConfig(origin, "{ insecure_skip_verify = true }"));
    assert.equal((await get(p.port)).status, "200");
    assert.match(p.log(), /"level":"warn".*"upstream":"o".*NOT verified/);
  });

  test("an mTLS origin gets weir's client certificate; without one it refuses (502)", async (t) => {
    if (!requirePrograms(t, "curl")) return;
    const origin = await httpsOrigin(t, { mtls: true });
    const tls = `{ ca = "${ca.ca}", server_name = "origin.test", cert = "${clientCert.cert}", key = "${clientCert.key}" }`;
    const p = await startTlsProxy(t, upstreamConfig(origin, tls));
    const ok = await get(p.port);
    assert.equal(ok.status, "200", ok.body);
    assert.equal(JSON.parse(ok.body).client, "weir-client");
    const without = await startTlsProxy(
      t,
      upstreamConfig(origin, `{ ca = "${ca.ca}", server_name = "origin.test" }`),
    );
    assert.equal((await get(without.port)).status, "502");
  });

  test("h2 = true over TLS negotiates HTTP/2 by ALPN", async (t) => {
    if (!requirePrograms(t, "curl")) return;
    const origin = await httpsOrigin(t, { h2: true });
    const p = await startTlsProxy(
      t,
      upstreamConfig(origin, `{ ca = "${ca.ca}", server_name = "origin.test" }`, true),
    );
    const ok = await get(p.port);
    assert.equal(ok.status, "200", ok.body);
    assert.equal(JSON.parse(ok.body).version, "2.0");
  });
});
