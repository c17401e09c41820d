// SIGHUP with certificate files changed on disk, against a real ./bin/weir (supervisor + worker), with
// file watching off (watch_interval = "0s") so that only the reload can pick a change up.
//
// A broken certificate or key (truncated PEM, key of another certificate, garbage) is found by the
// supervisor, which reads the new generation's TLS files before it forks a worker: the reload is refused
// as a whole (DESIGN.md: a reload is a transaction) and no worker is forked for it, the old workers keep
// serving the old certificate to open and new connections, the error names the file,
// and weir_config_reloads_total{result="failed"} counts it. Once the files are fixed, the next SIGHUP
// serves the new certificate to new handshakes while connections opened before keep theirs.
import assert from "node:assert/strict";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { test } from "node:test";
import { tempDir } from "../lib/weir-process.ts";
import { childrenOf } from "../process/harness.ts";
import { fingerprintOf, makeRotation, replacePair } from "./certs.ts";
import {
  edgeTlsToml,
  eventually,
  keepAliveGet,
  openTls,
  servedFingerprint,
  startTlsWeir,
} from "./harness.ts";

test("SIGHUP with a broken certificate keeps the old one serving; after the fix, SIGHUP serves the new one", async (t) => {
  const dir = tempDir("weir-tls-sighup-");
  const { pki, first, second, live } = makeRotation(dir);
  const ca = readFileSync(pki.ca);
  const w = await startTlsWeir(
    t,
    `[system]
workers = 1
grace_period = "5s"
[log]
level = "debug"
[admin]
listen = "127.0.0.1:0"
[access_log]
enabled = false
${edgeTlsToml(live, ['watch_interval = "0s"'])}[[routes]]
respond = { status = 200, body = "served" }
`,
    dir,
  );
  const { weir, port, output } = w;
  const supervisor = weir.child.pid as number;
  const workers = childrenOf(supervisor);
  assert.equal(workers.length, 1);
  const reloadFailed = /"level":"error".*config reload: a TLS file cannot serve/;
  const reloadFailures = { result: "failed" };

  const fpFirst = await servedFingerprint(port, ca);
  assert.equal(fpFirst, fingerprintOf(first.cert));
  const kept = await openTls(port, ca);
  t.after(() => kept.destroy());
  assert.match(await keepAliveGet(kept, "served"), /^HTTP\/1\.1 200/);

  const pem = readFileSync(first.cert, "utf8");
  const broken: { what: string; cert?: string; key?: string; names: string }[] = [
    { what: "truncated certificate PEM", cert: pem.slice(0, pem.length / 2), names: live.cert },
    { what: "key of another certificate", key: readFileSync(second.key, "utf8"), names: live.key },
    { what: "garbage certificate", cert: "\x00\x01 not a certificate at all\n", names: live.cert },
    {
      what: "truncated key PEM",
      key: readFileSync(first.key, "utf8").slice(0, 200),
      names: live.key,
    },
  ];
  for (const [i, b] of broken.entries()) {
    copyFileSync(first.cert, live.cert);
    copyFileSync(first.key, live.key);
    if (b.cert !== undefined) writeFileSync(live.cert, b.cert);
    if (b.key !== undefined) writeFileSync(live.key, b.key);
    weir.child.kill("SIGHUP");
    const lines = await eventually(
      () => w.lines(reloadFailed),
      (l) => l.length > i,
      5_000,
      25,
    );
    assert.equal(lines.length, i + 1, `${b.what}: the reload was refused with an error\n${output()}`);
    assert.ok(lines[i]?.includes(b.names), `${b.what}: the error names ${b.names}: ${lines[i]}`);
    assert.ok(lines[i]?.includes('listener \\"edge\\"'), `${b.what}: and its listener: ${lines[i]}`);
    assert.deepEqual(childrenOf(supervisor), workers, `${b.what}: the same worker serves, no other left`);
    assert.doesNotMatch(output(), /"generation":2.*"worker forked"/, `${b.what}: no worker was forked`);
    assert.equal(weir.child.exitCode, null, `${b.what}: weir is still running`);
    assert.equal(await servedFingerprint(port, ca), fpFirst, `${b.what}: new handshakes get the old one`);
    assert.match(
      await keepAliveGet(kept, "served"),
      /^HTTP\/1\.1 200/,
      `${b.what}: the open connection still serves`,
    );
    assert.equal(await w.metric("weir_config_reloads_total", reloadFailures), i + 1, `${b.what}: counted`);
  }
  assert.doesNotMatch(output(), /config reloaded/, "no failed reload replaced the workers");

  // Fixed: the second certificate, valid. New handshakes get it; the connection opened before stays.
  replacePair(live, second);
  weir.child.kill("SIGHUP");
  await weir.waitFor(/"generation":2,.*"config reloaded/);
  assert.match(output(), /"generation":2.*"worker forked"/, "the fork line the checks above looked for");
  assert.equal(await servedFingerprint(port, ca), fingerprintOf(second.cert));
  assert.match(
    await keepAliveGet(kept, "served"),
    /^HTTP\/1\.1 200/,
    "the connection opened before still serves",
  );
  assert.equal(kept.getPeerX509Certificate()?.fingerprint256, fpFirst, "with the certificate it negotiated");
  assert.equal(await w.metric("weir_config_reloads_total", { result: "success" }), 1);
  assert.equal(await w.metric("weir_config_reloads_total", reloadFailures), broken.length);
  kept.destroy();
  assert.equal(await weir.stop(), 0);
});
