// Renewal against pebble with short-lived certificates (30 s) and a renewal window that opens 3 s after
// issuance: weir renews on its own, the new certificate serves, a connection in flight keeps working and
// no new handshake fails during the swaps. Then pebble stops: renewals fail, are retried with backoff and
// reported (/status, weir_acme_renewals_total{result="failure"}), and the last certificate keeps serving.
import assert from "node:assert/strict";
import { test } from "node:test";
import { connect as tlsConnect } from "node:tls";
import { tempDir } from "../lib/weir-process.ts";
import {
  adminJson,
  challTestSrvFor,
  freePort,
  pebbleFor,
  pebbleToml,
  requireAcmePeers,
  servedCertificate,
  startedWeirFor,
  waitForAcme,
} from "./harness.ts";

test("short-lived certificates renew by themselves; with the CA down the last one keeps serving", async (t) => {
  if (!requireAcmePeers(t)) return;
  const dir = tempDir("weir-acme-renew-");
  const [httpPort, tlsPort, adminPort] = [await freePort(), await freePort(), await freePort()];
  const dns = await challTestSrvFor(t);
  const pebble = await pebbleFor(t, dir, { httpPort, tlsPort, dnsServer: dns.dns, validitySeconds: 30 });
  const root = await pebble.root();
  const { weir } = await startedWeirFor(
    t,
    dir,
    `
[system]
workers = 2
[admin]
listen = "127.0.0.1:${adminPort}"
[acme]
${pebbleToml(pebble)}
accept_terms = true
state_dir = "state"
renew_before_expiry = "27s"
check_interval = "1s"
retry_min = "300ms"
retry_max = "1s"
[[acme.certificates]]
names = ["a.weir.test"]
challenge = "http-01"
[listeners.http]
address = "127.0.0.1:${httpPort}"
[listeners.tls]
address = "127.0.0.1:${tlsPort}"
protocol = "http"
tls = { acme = true }
[[routes]]
respond = { status = 200, body = "acme ok\\n" }
`,
  );
  const first = (await waitForAcme(adminPort, (c) => c[0]?.status === "valid"))[0]?.serial;
  assert.ok(first);

  // A keep-alive connection made with the first certificate, asked again and again across renewals.
  const inflight = tlsConnect({ host: "127.0.0.1", port: tlsPort, servername: "a.weir.test", ca: root });
  await new Promise<void>((resolve, reject) => {
    inflight.once("secureConnect", resolve);
    inflight.once("error", reject);
  });
  let received = "";
  let closed = false;
  inflight.on("data", (d) => {
    received += d.toString();
  });
  inflight.on("close", () => {
    closed = true;
  });
  let asked = 0;
  const ask = setInterval(() => {
    asked++;
    inflight.write("GET / HTTP/1.1\r\nHost: a.weir.test\r\n\r\n");
  }, 100);
  t.after(() => clearInterval(ask));

  // New handshakes all the while: every one must succeed with some issued certificate.
  const seen = new Set<string>();
  const handshakeErrors: string[] = [];
  let handshaking = true;
  const loop = (async () => {
    while (handshaking) {
      try {
        seen.add((await servedCertificate(tlsPort, "a.weir.test", root)).serial);
      } catch (err) {
        handshakeErrors.push((err as Error).message);
      }
      await new Promise((r) => setTimeout(r, 30));
    }
  })();
  const deadline = Date.now() + 30_000;
  while (seen.size < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  handshaking = false;
  await loop;
  clearInterval(ask);
  assert.deepEqual(handshakeErrors, []);
  assert.ok(seen.size >= 3, `renewed at least twice on its own (saw ${seen.size} certificates)`);
  assert.ok(seen.has(first));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(closed, false, "the connection in flight was not dropped");
  assert.equal(received.split("acme ok\n").length - 1, asked, "every request on it was answered");
  inflight.end();

  // The CA goes away: failures are retried and reported, the last certificate keeps serving.
  await pebble.stop();
  const failing = await waitForAcme(adminPort, (c) => (c[0]?.failures ?? 0) >= 2, 20_000);
  const report = failing[0];
  assert.equal(report?.status, "failed");
  assert.match(report?.last_error?.message ?? "", /ECONNREFUSED|connect|socket/i);
  const serving = await servedCertificate(tlsPort, "a.weir.test", root);
  assert.equal(serving.serial, report?.serial, "the last issued certificate still serves");
  const metrics = (await adminJson(adminPort, "/metrics")) as string;
  const failures = Number(/weir_acme_renewals_total\{result="failure"\} (\d+)/.exec(metrics)?.[1]);
  assert.ok(failures >= 2, metrics);
  assert.match(weir.stdout() + weir.stderr(), /acme: order failed; the current certificate keeps serving/);
});
