// Two weir instances started together on one state folder (as during an upgrade, or two services of one
// host) order a certificate once: the lock in the folder lets one order while the other waits, then the
// other adopts what the first stored. Pebble validates DNS-01 through Knot, updated by RFC 2136.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "../lib/weir-process.ts";
import {
  freePort,
  knotFor,
  pebbleFor,
  pebbleToml,
  requireAcmePeers,
  waitForAcme,
  weirFor,
} from "./harness.ts";

test("two instances sharing state_dir order one certificate, not two", async (t) => {
  if (!requireAcmePeers(t, "knotd")) return;
  const dir = tempDir("weir-acme-two-");
  const knot = await knotFor(t, dir);
  // weir listens on port 0 here (DNS-01 only): pebble's HTTP-01/TLS-ALPN-01 ports point nowhere.
  const pebble = await pebbleFor(t, dir, {
    httpPort: await freePort(),
    tlsPort: await freePort(),
    dnsServer: knot.server,
  });
  const instances = [];
  for (const n of [1, 2]) {
    const admin = await freePort();
    const file = join(dir, `weir-${n}.toml`);
    writeFileSync(
      file,
      `
[system]
workers = 1
[admin]
listen = "127.0.0.1:${admin}"
[acme]
${pebbleToml(pebble)}
accept_terms = true
state_dir = "state"
retry_min = "500ms"
retry_max = "1s"
[[acme.certificates]]
names = ["shared.weir.test", "*.shared.weir.test"]
challenge = "dns-01"
rfc2136 = { server = "${knot.server}", zone = "weir.test", key_name = "${knot.keyName}", key_secret = "${knot.secret}" }
[listeners.web]
address = "127.0.0.1:0"
[[routes]]
respond = { status = 200 }
`,
    );
    instances.push({ admin, weir: weirFor(t, file) });
  }
  const reports = await Promise.all(
    instances.map((i) => waitForAcme(i.admin, (c) => c[0]?.status === "valid" && c[0]?.serial !== undefined)),
  );
  assert.equal(reports[0]?.[0]?.serial, reports[1]?.[0]?.serial, "both serve the same certificate");
  const issued = instances.flatMap((i) =>
    (i.weir.stdout() + i.weir.stderr()).split("\n").filter((l) => l.includes("acme: certificate issued")),
  );
  assert.equal(issued.length, 1, "one order for both instances");
  const issuedByPebble = pebble.output().match(/Issued certificate serial/g) ?? [];
  assert.equal(issuedByPebble.length, 1, pebble.output());
});
