// The parts of transparent proxying that need no namespace: opaque_ports matching, the short names routes
// answer to through their upstream's search domains, and the config errors of a transparent listener.
import assert from "node:assert/strict";
import { test } from "node:test";
import { searchAliases } from "../../src/http/routes.ts";
import { compileOpaque } from "../../src/listener/transparent-opaque.ts";
import { runWeir, writeConfig } from "../lib/weir-process.ts";

test("opaque_ports match ports, ranges, addresses and CIDRs of the original destination", () => {
  assert.equal(compileOpaque([]), undefined);
  const opaque = compileOpaque([25, "3306-3310", "10.1.0.0/16", "fd00::7"])!;
  const dst = (address: string, port: number) =>
    ({ address, port, family: address.includes(":") ? 6 : 4 }) as const;
  assert.equal(opaque(dst("127.0.0.1", 25)), true);
  assert.equal(opaque(dst("127.0.0.1", 3308)), true);
  assert.equal(opaque(dst("127.0.0.1", 3311)), false);
  assert.equal(opaque(dst("10.1.200.3", 80)), true);
  assert.equal(opaque(dst("10.2.0.1", 80)), false);
  assert.equal(opaque(dst("fd00::7", 443)), true);
  assert.equal(opaque(dst("fd00::8", 443)), false);
});

test("a route host answers to its short names under its upstream's search domains", () => {
  assert.deepEqual(searchAliases("web.svc.internal", ["svc.internal", "internal", "other"]), [
    "web",
    "web.svc",
  ]);
  assert.deepEqual(searchAliases("Web.Svc.Internal.", ["svc.internal."]), ["web"]);
  assert.deepEqual(searchAliases("*.svc.internal", ["svc.internal"]), []);
  assert.deepEqual(searchAliases("svc.internal", ["svc.internal"]), []);
});

test("transparent config errors: a Unix socket, opaque_ports without transparent, a bad entry", async () => {
  const file = writeConfig(`
[listeners.unix]
address = "unix:/tmp/weir-transparent-check.sock"
transparent = true

[listeners.plain]
address = "127.0.0.1:4141"
opaque_ports = [25]

[listeners.bad]
address = "127.0.0.1:4142"
transparent = true
opaque_ports = [25, "3306-3300", "mail"]

[listeners.tcp]
address = "127.0.0.1:4143"
protocol = "tcp"
transparent = true
`);
  const { code, stderr } = await runWeir(["check", "--config", file]);
  assert.equal(code, 2);
  assert.match(stderr, /listeners\.unix\.transparent: a transparent listener needs a TCP address/);
  assert.match(stderr, /listeners\.plain\.opaque_ports: opaque_ports applies to transparent listeners only/);
  assert.match(stderr, /listeners\.bad\.opaque_ports\[1\]: expected a port, a range/);
  assert.match(stderr, /listeners\.bad\.opaque_ports\[2\]: expected a port, a range/);
  // A transparent "tcp" listener needs no upstream: each connection goes to its original destination.
  assert.doesNotMatch(stderr, /listeners\.tcp/);
});
