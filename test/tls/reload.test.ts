// Certificate files replaced while weir runs: new handshakes get the new certificate within the watch
// interval, connections already open keep working, and a broken file keeps the last good one serving.
import assert from "node:assert/strict";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { type TLSSocket, connect as tlsConnect } from "node:tls";
import { tempDir } from "../lib/weir-process.ts";
import { makeCa, makeLeaf } from "./certs.ts";
import { startTlsProxy } from "./harness.ts";

function open(port: number, ca: string): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ port, host: "127.0.0.1", servername: "a.test", ca: readFileSync(ca) }, () =>
      resolve(s),
    );
    s.once("error", reject);
  });
}

/** One keep-alive request on `s`; resolves the response head and body. */
function request(s: TLSSocket): Promise<string> {
  return new Promise((resolve) => {
    let got = "";
    const onData = (c: Buffer) => {
      got += c;
      if (got.includes("\r\n\r\nreloaded?")) {
        s.off("data", onData);
        resolve(got);
      }
    };
    s.on("data", onData);
    s.write("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n");
  });
}

async function fingerprintOfNew(port: number, ca: string): Promise<string> {
  const s = await open(port, ca);
  const f = s.getPeerX509Certificate()?.fingerprint256 ?? "";
  s.destroy();
  return f;
}

test("certificate hot reload: new handshakes get the new file, open connections stay, broken files are refused", async (t) => {
  const dir = tempDir("weir-tls-reload-");
  const ca = makeCa(join(dir, "pki"));
  const first = makeLeaf(ca, "first", ["a.test"]);
  const second = makeLeaf(ca, "second", ["a.test"]);
  const live = { cert: join(dir, "a.pem"), key: join(dir, "a.key") };
  copyFileSync(first.cert, live.cert);
  copyFileSync(first.key, live.key);
  const p = await startTlsProxy(
    t,
    `[listeners.edge]
address = "127.0.0.1:0"
[listeners.edge.tls]
certificates = [{ cert = "${live.cert}", key = "${live.key}" }]
watch_interval = "100ms"
[[routes]]
respond = { status = 200, body = "reloaded?" }
`,
  );
  const fpFirst = await fingerprintOfNew(p.port, ca.ca);
  const kept = await open(p.port, ca.ca);
  t.after(() => kept.destroy());
  assert.match(await request(kept), /^HTTP\/1\.1 200/);
  assert.equal(kept.getPeerX509Certificate()?.fingerprint256, fpFirst);

  copyFileSync(second.key, live.key);
  copyFileSync(second.cert, live.cert);
  let fp = fpFirst;
  for (let i = 0; i < 50 && fp === fpFirst; i++) {
    await new Promise((r) => setTimeout(r, 100));
    fp = await fingerprintOfNew(p.port, ca.ca);
  }
  assert.notEqual(fp, fpFirst, "the new certificate was not picked up");
  assert.equal(
    fp,
    new (await import("node:crypto")).X509Certificate(readFileSync(second.cert)).fingerprint256,
  );
  // The connection opened before the change still serves requests with its certificate.
  assert.match(await request(kept), /^HTTP\/1\.1 200/);
  assert.match(p.log(), /TLS certificate reloaded/);

  writeFileSync(live.cert, "-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n");
  for (let i = 0; i < 50 && !/certificate reload failed/.test(p.log()); i++)
    await new Promise((r) => setTimeout(r, 100));
  assert.match(p.log(), /"level":"error".*TLS certificate reload failed/);
  assert.equal(await fingerprintOfNew(p.port, ca.ca), fp, "the last good certificate must keep serving");
});
