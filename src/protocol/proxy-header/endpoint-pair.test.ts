import assert from "node:assert/strict";
import { test } from "node:test";
import { resolveInetPair } from "./endpoint-pair.ts";
import { ProxyHeaderBuildError, ProxyHeaderErrorCode } from "./errors.ts";

const at = (address: string, port = 1) => ({ address, port });

test("IPv4 pairs stay IPv4, IPv6 pairs IPv6", () => {
  const four = resolveInetPair(at("1.2.3.4"), at("5.6.7.8", 2));
  assert.equal(four.family, "ipv4");
  assert.deepEqual([...four.source], [1, 2, 3, 4]);
  assert.equal(four.destinationPort, 2);
  assert.equal(resolveInetPair(at("::1"), at("2001:db8::1")).family, "ipv6");
});

test("IPv4-mapped IPv6 is unwrapped to IPv4 when the peer is IPv4 too", () => {
  const r = resolveInetPair(at("::ffff:1.2.3.4"), at("10.0.0.1"));
  assert.equal(r.family, "ipv4");
  assert.deepEqual([...r.source], [1, 2, 3, 4]);
  assert.equal(resolveInetPair(at("::ffff:1.2.3.4"), at("::ffff:5.6.7.8")).family, "ipv4");
});

test("mixed families become IPv6 with the IPv4 side mapped", () => {
  const r = resolveInetPair(at("1.2.3.4"), at("2001:db8::1"));
  assert.equal(r.family, "ipv6");
  assert.deepEqual([...r.source], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4]);
});

test("bad addresses and ports throw typed errors", () => {
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      assert.ok(e instanceof ProxyHeaderBuildError);
      return e.code;
    }
    assert.fail("did not throw");
  };
  assert.equal(
    code(() => resolveInetPair(at("1.2.3.256"), at("1.2.3.4"))),
    ProxyHeaderErrorCode.BAD_ADDRESS,
  );
  assert.equal(
    code(() => resolveInetPair(at("example.com"), at("1.2.3.4"))),
    ProxyHeaderErrorCode.BAD_ADDRESS,
  );
  assert.equal(
    code(() => resolveInetPair(at("fe80::1%eth0"), at("::1"))),
    ProxyHeaderErrorCode.BAD_ADDRESS,
  );
  // U+0131 would alias "1" if the text were read as latin1.
  assert.equal(
    code(() => resolveInetPair(at("\u0131.2.3.4"), at("1.2.3.4"))),
    ProxyHeaderErrorCode.BAD_ADDRESS,
  );
  for (const port of [-1, 65536, 1.5, Number.NaN]) {
    assert.equal(
      code(() => resolveInetPair(at("1.2.3.4", port), at("1.2.3.4"))),
      ProxyHeaderErrorCode.BAD_PORT,
    );
  }
});
