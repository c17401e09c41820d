// shared/contract/tls.toml (examples/tls.toml), as its comments say: one "auto" listener on 17443 that
// terminates a.test and *.b.test with their certificates (HTTP/2 or HTTP/1.1 by ALPN), passes db.test
// through untouched to a TLS server with its own certificate, reaches upstream b over TLS verified
// against certs/ca.pem as "origin.test", serves plain HTTP/1.1 on the same port, refuses TLS 1.0/1.1 and
// negotiates only the two listed TLS 1.2 ciphers. Certificates are made now into examples/certs/
// (gitignored); the origins listen on 17001-17003.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { hasProgram } from "../lib/peers.ts";
import { ROOT, startWeir, type WeirProcess } from "../lib/weir-process.ts";
import { makeCa, makeLeaf, type TestCa } from "../tls/certs.ts";
import { run, sClient } from "../tls/harness.ts";

const PORT = 17443;
const CERTS = join(ROOT, "examples/certs");
const programs = ["openssl", "curl"];
const missing = programs.filter((p) => !hasProgram(p));
if (missing.length > 0 && process.env.CI === "true") throw new Error(`needs ${missing.join(", ")} on CI`);

let ca: TestCa;
let dbCa: TestCa;

function answer(name: string) {
  return (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => {
    const body = JSON.stringify({
      upstream: name,
      host: req.headers.host,
      proto: req.headers["x-forwarded-proto"],
    });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  };
}

function listen(server: Server, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

async function curl(
  args: string[],
): Promise<{ body: string; version: string; code: number; stderr: string }> {
  const r = await run("curl", ["-sS", "-w", "\n%{http_version}", ...args]);
  const at = r.stdout.lastIndexOf("\n");
  return { body: r.stdout.slice(0, at), version: r.stdout.slice(at + 1), code: r.code, stderr: r.stderr };
}

const resolveTo = (name: string) => ["--resolve", `${name}:${PORT}:127.0.0.1`];

describe("contract: tls.toml", { skip: missing.length > 0 ? `needs ${missing.join(", ")}` : false }, () => {
  let weir: WeirProcess;
  const servers: Server[] = [];

  before(async () => {
    ca = makeCa(CERTS, "ca");
    makeLeaf(ca, "a.test", ["a.test"]);
    makeLeaf(ca, "wild.b.test", ["*.b.test"]);
    const origin = makeLeaf(ca, "origin", ["origin.test"]);
    dbCa = makeCa(CERTS, "db-ca");
    const db = makeLeaf(dbCa, "db", ["db.test"]);
    servers.push(await listen(createHttpServer(answer("a")), 17001));
    const tlsOf = (c: { cert: string; key: string }) => ({
      cert: readFileSync(c.cert),
      key: readFileSync(c.key),
    });
    servers.push(await listen(createHttpsServer(tlsOf(origin), answer("b")), 17002));
    servers.push(await listen(createHttpsServer(tlsOf(db), answer("db")), 17003));
    weir = startWeir(["run", "--config", "examples/tls.toml", "--workers", "1"]);
    await weir.waitFor(/"weir started"/);
  });
  after(async () => {
    for (const s of servers) {
      s.closeAllConnections?.();
      s.close();
    }
    assert.equal(await weir?.stop(), 0);
  });

  test("SNI a.test: a.test's certificate; HTTP/2 and HTTP/1.1 by ALPN; upstream a", async () => {
    assert.match((await sClient(PORT, ["-servername", "a.test"])).subject ?? "", /CN = a\.test/);
    for (const [flag, version] of [
      ["--http2", "2"],
      ["--http1.1", "1.1"],
    ] as const) {
      const r = await curl(["--cacert", ca.ca, ...resolveTo("a.test"), flag, `https://a.test:${PORT}/`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.version, version);
      assert.deepEqual(JSON.parse(r.body), { upstream: "a", host: `a.test:${PORT}`, proto: "https" });
    }
  });

  test("SNI x.b.test: the *.b.test certificate; upstream b over TLS, verified as origin.test", async () => {
    assert.match((await sClient(PORT, ["-servername", "x.b.test"])).subject ?? "", /CN = \*\.b\.test/);
    const r = await curl(["--cacert", ca.ca, ...resolveTo("x.b.test"), `https://x.b.test:${PORT}/b`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.body).upstream, "b");
  });

  test("SNI db.test: passed through untouched; the client sees the upstream's certificate", async () => {
    const hello = await sClient(PORT, ["-servername", "db.test"]);
    assert.match(hello.subject ?? "", /CN = db\.test/);
    assert.match(hello.output, /issuer=CN = weir test db-ca/);
    // The TLS session is the upstream's own: only its CA verifies it, and weir adds no header.
    const r = await curl(["--cacert", dbCa.ca, ...resolveTo("db.test"), `https://db.test:${PORT}/`]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.body), { upstream: "db", host: `db.test:${PORT}` });
  });

  test("plain HTTP/1.1 with Host a.test on the same port: upstream a", async () => {
    const r = await curl(["-H", "Host: a.test", `http://127.0.0.1:${PORT}/plain`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.version, "1.1");
    assert.deepEqual(JSON.parse(r.body), { upstream: "a", host: "a.test", proto: "http" });
  });

  test("TLS 1.0 and 1.1 are refused", async () => {
    for (const old of ["-tls1", "-tls1_1"]) {
      const r = await sClient(PORT, ["-servername", "a.test", old]);
      assert.equal(r.ok, false, `${old}:\n${r.output}`);
    }
  });

  test("TLS 1.2 negotiates only the two listed ciphers", async () => {
    for (const cipher of ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-CHACHA20-POLY1305"]) {
      const r = await sClient(PORT, ["-servername", "a.test", "-tls1_2", "-cipher", cipher]);
      assert.equal(r.cipher, cipher, r.output);
    }
    for (const cipher of ["ECDHE-RSA-AES256-GCM-SHA384", "AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA256"]) {
      const r = await sClient(PORT, ["-servername", "a.test", "-tls1_2", "-cipher", cipher]);
      assert.equal(r.ok, false, `${cipher} must be refused:\n${r.output}`);
    }
    const any = await sClient(PORT, ["-servername", "a.test", "-tls1_2"]);
    assert.ok(
      ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-CHACHA20-POLY1305"].includes(any.cipher ?? ""),
      any.output,
    );
  });
});
