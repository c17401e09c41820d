// shared/contract/acme.toml (examples/acme.toml), as its comments say, against pebble on its fixed
// ports: the directory at https://127.0.0.1:14000/dir with its HTTPS certificate signed by
// certs/acme-server-ca.pem (made here), pebble resolving every name to 127.0.0.1 through
// pebble-challtestsrv and validating HTTP-01 on 5002 and TLS-ALPN-01 on 5001:
//   a.weir.test -> HTTP-01 (listener http), b.weir.test -> TLS-ALPN-01 (listener tls),
//   *.w.weir.test -> DNS-01 through ./dns-hook.sh (which sets the TXT record in challtestsrv).
// Listener tls serves each certificate, chained to pebble's root; renewal is 30 days before expiry, so
// nothing renews now; acme-state/ beside the file keeps account and certificates: a restart orders nothing.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  type ChallTestSrv,
  curlHttps,
  makeServerCa,
  type Pebble,
  requireAcmePeers,
  servedCertificate,
  startChallTestSrv,
  startPebble,
  verifyChain,
} from "../acme/harness.ts";
import { hasProgram } from "../lib/peers.ts";
import { ROOT, runWeir, startWeir, tempDir, type WeirProcess } from "../lib/weir-process.ts";

const EXAMPLES = join(ROOT, "examples");
const CERTS = join(EXAMPLES, "certs");
const STATE = join(EXAMPLES, "acme-state");
const TLS_PORT = 5001;

function orders(weir: WeirProcess): string[] {
  return (weir.stdout() + weir.stderr())
    .split("\n")
    .filter((l) => l.includes("acme: ordering certificate"))
    .map((l) => (JSON.parse(l) as { certificate: string }).certificate);
}

describe("contract: acme.toml", () => {
  const peers = ["pebble", "pebble-challtestsrv", "openssl", "curl"];
  const present = peers.every(hasProgram);
  let challtestsrv: ChallTestSrv;
  let pebble: Pebble;
  let weir: WeirProcess | undefined;
  let root = "";
  const work = tempDir("weir-acme-contract-");
  const rootFile = join(work, "pebble-root.pem");
  const serials = new Map<string, string>();

  before(async () => {
    if (!present) return;
    mkdirSync(CERTS, { recursive: true });
    rmSync(STATE, { recursive: true, force: true });
    const ca = makeServerCa(CERTS, "acme-");
    challtestsrv = await startChallTestSrv(8053, 8055);
    pebble = await startPebble({
      dir: work,
      ca,
      port: 14000,
      managementPort: 15000,
      httpPort: 5002,
      tlsPort: 5001,
      dnsServer: challtestsrv.dns,
    });
    root = await pebble.root();
    writeFileSync(rootFile, root);
  });

  after(async () => {
    await weir?.stop();
    await pebble?.stop();
    await challtestsrv?.stop();
    rmSync(STATE, { recursive: true, force: true });
  });

  test("each name gets its certificate by its challenge; listener tls serves it chained to the root", async (t) => {
    if (!requireAcmePeers(t)) return;
    weir = startWeir(["run", "--config", "examples/acme.toml", "--workers", "1"]);
    await weir.waitFor(/"weir started"/);
    await weir.waitFor(/"certificate":"a\.weir\.test".*"acme: certificate issued"/, 30_000);
    await weir.waitFor(/"certificate":"b\.weir\.test".*"acme: certificate issued"/, 30_000);
    await weir.waitFor(/"certificate":"_wildcard\.w\.weir\.test".*"acme: certificate issued"/, 30_000);
    for (const name of ["a.weir.test", "b.weir.test", "x.w.weir.test", "y.w.weir.test"]) {
      assert.equal(curlHttps(TLS_PORT, name, rootFile), "acme ok\n", name);
      const served = await servedCertificate(TLS_PORT, name, root);
      assert.ok(served.chainLength >= 2, `${name}: leaf and intermediate served`);
      serials.set(name, served.serial);
    }
    assert.equal(serials.get("x.w.weir.test"), serials.get("y.w.weir.test"), "one wildcard certificate");
    // The HTTP listener routes as usual once no challenge is pending.
    const res = await fetch("http://127.0.0.1:5002/.well-known/acme-challenge/nothing-pending");
    assert.equal(await res.text(), "acme ok\n");
  });

  test("acme-state/ beside the file holds the account and certificates, private", async (t) => {
    if (!requireAcmePeers(t)) return;
    assert.equal(statSync(STATE).mode & 0o777, 0o700);
    assert.equal(statSync(join(STATE, "account.key")).mode & 0o777, 0o600);
    for (const id of ["a.weir.test", "b.weir.test", "_wildcard.w.weir.test"]) {
      const file = join(STATE, "certificates", `${id}.pem`);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.match(verifyChain(work, readFileSync(file, "utf8"), root), /: OK/);
    }
  });

  test("renewal starts 30 days before expiry, or 60 days after issuance with renew_after_issue", async (t) => {
    if (!requireAcmePeers(t)) return;
    // Pebble's certificates live for years: not in their renewal window, nothing was ordered twice.
    assert.deepEqual(orders(weir as WeirProcess).sort(), [
      "_wildcard.w.weir.test",
      "a.weir.test",
      "b.weir.test",
    ]);
    const text = readFileSync(join(EXAMPLES, "acme.toml"), "utf8").replace(
      'renew_before_expiry = "30d"',
      'renew_after_issue = "60d"',
    );
    const variant = join(EXAMPLES, `.acme-variant-${process.pid}.toml`);
    writeFileSync(variant, text);
    try {
      const checked = await runWeir(["check", "--config", variant]);
      assert.equal(checked.code, 0, checked.stderr);
    } finally {
      rmSync(variant, { force: true });
    }
  });

  test("a restart serves the stored certificates and orders nothing new", async (t) => {
    if (!requireAcmePeers(t)) return;
    assert.equal(await weir?.stop(), 0);
    weir = startWeir(["run", "--config", "examples/acme.toml", "--workers", "1"]);
    await weir.waitFor(/"weir started"/);
    for (const name of ["a.weir.test", "b.weir.test", "x.w.weir.test"]) {
      assert.equal((await servedCertificate(TLS_PORT, name, root)).serial, serials.get(name), name);
    }
    await new Promise((r) => setTimeout(r, 1_000));
    assert.deepEqual(orders(weir), []);
  });
});
