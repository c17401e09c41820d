// weir (supervisor + 2 workers) against pebble, the three challenge types end to end: HTTP-01 answered
// by weir's HTTP listener, TLS-ALPN-01 by its TLS listener, a DNS-01 wildcard through RFC 2136 updates
// to Knot (which pebble resolves through). Then curl sees each certificate, chained to pebble's root; a
// restart orders nothing new; the state folder is private.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "../lib/weir-process.ts";
import {
  adminJson,
  curlHttps,
  freePort,
  knotFor,
  pebbleFor,
  pebbleToml,
  requireAcmePeers,
  servedCertificate,
  startedWeirFor,
  verifyChain,
  waitForAcme,
  weirFor,
} from "./harness.ts";

test("HTTP-01, TLS-ALPN-01 and an RFC 2136 DNS-01 wildcard from pebble, served by weir", async (t) => {
  if (!requireAcmePeers(t, "knotd")) return;
  const dir = tempDir("weir-acme-");
  const [httpPort, tlsPort, adminPort] = [await freePort(), await freePort(), await freePort()];
  const knot = await knotFor(t, dir);
  const pebble = await pebbleFor(t, dir, { httpPort, tlsPort, dnsServer: knot.server });
  const root = await pebble.root();
  const rootFile = join(dir, "pebble-root.pem");
  writeFileSync(rootFile, root);

  const { weir, config } = await startedWeirFor(
    t,
    dir,
    `
[system]
workers = 2
[admin]
listen = "127.0.0.1:${adminPort}"
[acme]
${pebbleToml(pebble)}
email = "ops@weir.test"
accept_terms = true
state_dir = "state"
retry_min = "1s"
retry_max = "2s"

[[acme.certificates]]
names = ["a.weir.test"]
challenge = "http-01"

[[acme.certificates]]
names = ["b.weir.test"]
challenge = "tls-alpn-01"

[[acme.certificates]]
names = ["*.w.weir.test", "w.weir.test"]
challenge = "dns-01"
rfc2136 = { server = "${knot.server}", zone = "weir.test", key_name = "${knot.keyName}", key_secret = "${knot.secret}" }

[[acme.certificates]]
names = ["nowhere.invalid-zone.test"]
challenge = "dns-01"
rfc2136 = { server = "${knot.server}", zone = "invalid-zone.test", key_name = "${knot.keyName}", key_secret = "${knot.secret}" }

[listeners.http]
address = "127.0.0.1:${httpPort}"
protocol = "http"

[listeners.tls]
address = "127.0.0.1:${tlsPort}"
protocol = "auto"
tls = { acme = true }

[[routes]]
respond = { status = 200, body = "acme ok\\n" }
`,
  );

  const ok = (id: string) => (certs: { id: string; status: string }[]) =>
    certs.find((c) => c.id === id)?.status === "valid";
  const all = await waitForAcme(
    adminPort,
    (certs) => ok("a.weir.test")(certs) && ok("b.weir.test")(certs) && ok("_wildcard.w.weir.test")(certs),
    45_000,
  );

  // A name that cannot be validated fails on its own, reported, while the others serve.
  const broken = await waitForAcme(adminPort, (certs) =>
    certs.some((c) => c.id === "nowhere.invalid-zone.test" && c.failures >= 1),
  );
  const failed = broken.find((c) => c.id === "nowhere.invalid-zone.test");
  assert.equal(failed?.status, "failed");
  assert.match(failed?.last_error?.message ?? "", /NOTAUTH|NOTZONE|REFUSED|not/i);

  for (const name of ["a.weir.test", "b.weir.test", "x.w.weir.test", "w.weir.test"]) {
    assert.equal(curlHttps(tlsPort, name, rootFile), "acme ok\n", name);
    const served = await servedCertificate(tlsPort, name, root);
    const id = name.endsWith("w.weir.test") ? "_wildcard.w.weir.test" : name;
    assert.equal(
      served.serial,
      all.find((c) => c.id === id)?.serial,
      `${name} serves the issued certificate`,
    );
    assert.ok(served.chainLength >= 2, "leaf and intermediate are served");
  }
  // A name no certificate has: refused (no certificate files on this listener to fall back on).
  await assert.rejects(servedCertificate(tlsPort, "other.test", root));
  // The HTTP listener answers everything else through the routes: HTTP-01 only answers pending tokens.
  const plain = await fetch(`http://127.0.0.1:${httpPort}/.well-known/acme-challenge/unknown-token`);
  assert.equal(await plain.text(), "acme ok\n");

  // The state folder: private, one bundle per certificate, chained to pebble's root.
  const state = join(dir, "state");
  assert.equal(statSync(state).mode & 0o777, 0o700);
  assert.equal(statSync(join(state, "account.key")).mode & 0o777, 0o600);
  const bundles = readdirSync(join(state, "certificates"))
    .filter((f) => f.endsWith(".pem"))
    .sort();
  assert.deepEqual(bundles, ["_wildcard.w.weir.test.pem", "a.weir.test.pem", "b.weir.test.pem"]);
  for (const b of bundles) {
    assert.equal(statSync(join(state, "certificates", b)).mode & 0o777, 0o600);
    assert.match(verifyChain(dir, readFileSync(join(state, "certificates", b), "utf8"), root), /: OK/);
  }
  const metrics = (await adminJson(adminPort, "/metrics")) as string;
  assert.match(metrics, /weir_acme_renewals_total\{result="success"\} 3/);
  assert.match(metrics, /weir_acme_renewals_total\{result="failure"\} [1-9]/);

  // A restart serves the stored certificates at once and orders nothing.
  assert.equal(await weir.stop(), 0);
  const restarted = weirFor(t, config);
  await restarted.waitFor(/weir started/);
  const again = await servedCertificate(tlsPort, "a.weir.test", root);
  assert.equal(again.serial, all.find((c) => c.id === "a.weir.test")?.serial);
  await waitForAcme(adminPort, (certs) => certs.filter((c) => c.status === "valid").length === 3);
  await new Promise((r) => setTimeout(r, 500));
  const ordered = (restarted.stdout() + restarted.stderr())
    .split("\n")
    .filter((l) => l.includes("acme: ordering certificate"));
  assert.deepEqual(
    ordered.map((l) => (JSON.parse(l) as { certificate: string }).certificate),
    ["nowhere.invalid-zone.test"],
    "only the certificate that never got issued is ordered again",
  );
});
