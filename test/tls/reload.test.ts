// Certificate files replaced while weir runs: new handshakes get the new certificate within the watch
// interval, connections already open keep working, and a broken file keeps the last good one serving.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { test } from "node:test";
import { tempDir } from "../lib/weir-process.ts";
import { fingerprintOf, makeRotation, replacePair } from "./certs.ts";
import {
  edgeTlsToml,
  eventually,
  keepAliveGet,
  openTls,
  servedFingerprint,
  startTlsProxy,
} from "./harness.ts";

test("certificate hot reload: new handshakes get the new file, open connections stay, broken files are refused", async (t) => {
  const { pki, second, live } = makeRotation(tempDir("weir-tls-reload-"));
  const ca = readFileSync(pki.ca);
  const p = await startTlsProxy(
    t,
    `${edgeTlsToml(live, ['watch_interval = "100ms"'])}[[routes]]
respond = { status = 200, body = "reloaded?" }
`,
  );
  const fpFirst = await servedFingerprint(p.port, ca);
  const kept = await openTls(p.port, ca);
  t.after(() => kept.destroy());
  assert.match(await keepAliveGet(kept, "reloaded?"), /^HTTP\/1\.1 200/);
  assert.equal(kept.getPeerX509Certificate()?.fingerprint256, fpFirst);

  replacePair(live, second);
  const fp = await eventually(
    () => servedFingerprint(p.port, ca),
    (f) => f !== fpFirst,
  );
  assert.notEqual(fp, fpFirst, "the new certificate was not picked up");
  assert.equal(fp, fingerprintOf(second.cert));
  // The connection opened before the change still serves requests with its certificate.
  assert.match(await keepAliveGet(kept, "reloaded?"), /^HTTP\/1\.1 200/);
  assert.match(p.log(), /TLS certificate reloaded/);

  writeFileSync(live.cert, "-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n");
  await eventually(p.log, (log) => /certificate reload failed/.test(log));
  assert.match(p.log(), /"level":"error".*TLS certificate reload failed/);
  assert.equal(await servedFingerprint(p.port, ca), fp, "the last good certificate must keep serving");
});
