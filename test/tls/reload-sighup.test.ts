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
import { X509Certificate } from "node:crypto";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { get as httpGet } from "node:http";
import { join } from "node:path";
import { test } from "node:test";
import { type TLSSocket, connect as tlsConnect } from "node:tls";
import { startWeir, tempDir, writeConfig } from "../lib/weir-process.ts";
import { childrenOf } from "../process/harness.ts";
import { makeCa, makeLeaf } from "./certs.ts";

/** A TLS connection to a.test on `port`, verified against `ca`. */
function open(port: number, ca: Buffer): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ port, host: "127.0.0.1", servername: "a.test", ca }, () => resolve(s));
    s.once("error", reject);
  });
}

/** The SHA-256 fingerprint of the certificate a new handshake gets. */
async function servedFingerprint(port: number, ca: Buffer): Promise<string> {
  const s = await open(port, ca);
  const fp = s.getPeerX509Certificate()?.fingerprint256 ?? "";
  s.destroy();
  return fp;
}

/** One keep-alive request on `s`; resolves the response once its body arrived. */
function request(s: TLSSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = "";
    const onData = (c: Buffer) => {
      got += c;
      if (got.includes("\r\n\r\nserved")) {
        s.off("data", onData);
        s.off("close", onClose);
        resolve(got);
      }
    };
    const onClose = () => reject(new Error(`connection closed before the response; got ${got}`));
    s.on("data", onData);
    s.once("close", onClose);
    s.write("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n");
  });
}

/** The value of one series of the admin API's /metrics, 0 when absent. */
function metric(adminPort: number, series: string): Promise<number> {
  return new Promise((resolve, reject) => {
    httpGet({ host: "127.0.0.1", port: adminPort, path: "/metrics" }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => {
        body += c;
      });
      res.on("end", () => {
        const line = body.split("\n").find((l) => l.startsWith(`${series} `));
        resolve(line === undefined ? 0 : Number(line.slice(series.length + 1)));
      });
    }).on("error", reject);
  });
}

test("SIGHUP with a broken certificate keeps the old one serving; after the fix, SIGHUP serves the new one", async (t) => {
  const dir = tempDir("weir-tls-sighup-");
  const pki = makeCa(join(dir, "pki"));
  const ca = readFileSync(pki.ca);
  const first = makeLeaf(pki, "first", ["a.test"]);
  const second = makeLeaf(pki, "second", ["a.test"]);
  const live = { cert: join(dir, "a.pem"), key: join(dir, "a.key") };
  copyFileSync(first.cert, live.cert);
  copyFileSync(first.key, live.key);
  const fpOf = (file: string) => new X509Certificate(readFileSync(file)).fingerprint256;
  const file = writeConfig(
    `[system]
workers = 1
grace_period = "5s"
[log]
level = "debug"
[admin]
listen = "127.0.0.1:0"
[access_log]
enabled = false
[listeners.edge]
address = "127.0.0.1:0"
[listeners.edge.tls]
certificates = [{ cert = "${live.cert}", key = "${live.key}" }]
watch_interval = "0s"
[[routes]]
respond = { status = 200, body = "served" }
`,
    dir,
  );
  const weir = startWeir(["run", "-c", file]);
  t.after(() => weir.stop("SIGKILL"));
  const adminPort = JSON.parse(await weir.waitFor(/"admin API listening"/)).port as number;
  const started = JSON.parse(await weir.waitFor(/"weir started"/));
  const port = started.listeners["127.0.0.1:0"] as number;
  const supervisor = weir.child.pid as number;
  const workers = childrenOf(supervisor);
  assert.equal(workers.length, 1);
  const output = () => weir.stdout() + weir.stderr();
  const count = (re: RegExp) =>
    output()
      .split("\n")
      .filter((l) => re.test(l)).length;
  const reloadFailed = /"level":"error".*config reload: a TLS file cannot serve/;
  const reloadFailures = `weir_config_reloads_total{result="failed"}`;

  const fpFirst = await servedFingerprint(port, ca);
  assert.equal(fpFirst, fpOf(first.cert));
  const kept = await open(port, ca);
  t.after(() => kept.destroy());
  assert.match(await request(kept), /^HTTP\/1\.1 200/);

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
    const deadline = Date.now() + 5_000;
    while (count(reloadFailed) <= i && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    const lines = output()
      .split("\n")
      .filter((l) => reloadFailed.test(l));
    assert.equal(lines.length, i + 1, `${b.what}: the reload was refused with an error\n${output()}`);
    assert.ok(lines[i]?.includes(b.names), `${b.what}: the error names ${b.names}: ${lines[i]}`);
    assert.ok(lines[i]?.includes('listener \\"edge\\"'), `${b.what}: and its listener: ${lines[i]}`);
    assert.deepEqual(childrenOf(supervisor), workers, `${b.what}: the same worker serves, no other left`);
    assert.doesNotMatch(output(), /"generation":2.*"worker forked"/, `${b.what}: no worker was forked`);
    assert.equal(weir.child.exitCode, null, `${b.what}: weir is still running`);
    assert.equal(await servedFingerprint(port, ca), fpFirst, `${b.what}: new handshakes get the old one`);
    assert.match(await request(kept), /^HTTP\/1\.1 200/, `${b.what}: the open connection still serves`);
    assert.equal(await metric(adminPort, reloadFailures), i + 1, `${b.what}: counted`);
  }
  assert.doesNotMatch(output(), /config reloaded/, "no failed reload replaced the workers");

  // Fixed: the second certificate, valid. New handshakes get it; the connection opened before stays.
  copyFileSync(second.key, live.key);
  copyFileSync(second.cert, live.cert);
  weir.child.kill("SIGHUP");
  await weir.waitFor(/"generation":2,.*"config reloaded/);
  assert.match(output(), /"generation":2.*"worker forked"/, "the fork line the checks above looked for");
  assert.equal(await servedFingerprint(port, ca), fpOf(second.cert));
  assert.match(await request(kept), /^HTTP\/1\.1 200/, "the connection opened before still serves");
  assert.equal(kept.getPeerX509Certificate()?.fingerprint256, fpFirst, "with the certificate it negotiated");
  assert.equal(await metric(adminPort, `weir_config_reloads_total{result="success"}`), 1);
  assert.equal(await metric(adminPort, reloadFailures), broken.length);
  kept.destroy();
  assert.equal(await weir.stop(), 0);
});
