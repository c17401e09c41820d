import assert from "node:assert/strict";
import { SocketAddress } from "node:net";
import { test } from "node:test";
import fc from "fast-check";
import {
  formatIPv4,
  formatIPv6,
  isIPv4Mapped,
  isIPv4Prefix,
  parseIPv4Bytes,
  parseIPv6Bytes,
} from "./ip-address.ts";

function v4(text: string): number[] | undefined {
  const out = new Uint8Array(4);
  const src = Buffer.from(text, "latin1");
  return parseIPv4Bytes(src, 0, src.length, out, 0) ? [...out] : undefined;
}

function v6(text: string): string | undefined {
  const out = new Uint8Array(16);
  const src = Buffer.from(text, "latin1");
  return parseIPv6Bytes(src, 0, src.length, out, 0) ? formatIPv6(out, 0) : undefined;
}

/** What Node (libuv) prints for an IPv6 address: the oracle for our formatting. */
function nodeText(text: string): string {
  return new SocketAddress({ address: text, family: "ipv6" }).address;
}

test("IPv4: exactly four decimal octets, no leading zeros", () => {
  assert.deepEqual(v4("0.0.0.0"), [0, 0, 0, 0]);
  assert.deepEqual(v4("255.255.255.255"), [255, 255, 255, 255]);
  assert.deepEqual(v4("192.168.0.10"), [192, 168, 0, 10]);
  for (const bad of [
    "",
    "1.2.3",
    "1.2.3.4.5",
    "256.1.1.1",
    "01.2.3.4",
    "1.2.3.00",
    "1..2.3",
    "1.2.3.4.",
    ".1.2.3.4",
  ]) {
    assert.equal(v4(bad), undefined, bad);
  }
  for (const bad of ["1.2.3.a", " 1.2.3.4", "1.2.3.4 ", "1234.1.1.1", "0x1.2.3.4", "1.2.3.-4"]) {
    assert.equal(v4(bad), undefined, bad);
  }
});

test("isIPv4Prefix accepts what can still become an address and nothing else", () => {
  const yes = (s: string) => isIPv4Prefix(Buffer.from(s), 0, s.length);
  for (const s of ["", "1", "19", "192.", "192.168.0.1", "0.", "25"]) assert.ok(yes(s), s);
  for (const s of ["01", "256", ".", "1..", "1.2.3.4.", "a", "1.2.3.4.5"]) assert.ok(!yes(s), s);
});

test("IPv6: text forms parse and print as Node prints them", () => {
  const cases: [string, string][] = [
    ["::", "::"],
    ["::1", "::1"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"],
    ["1:0:0:1:0:0:0:1", "1:0:0:1::1"],
    ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
    ["::ffff:1.2.3.4", "::ffff:1.2.3.4"],
    ["::ffff:102:304", "::ffff:1.2.3.4"],
    ["::1.2.3.4", "::1.2.3.4"],
    ["::ffff:0:1.2.3.4", "::ffff:0:102:304"],
    ["64:ff9b::1.2.3.4", "64:ff9b::102:304"],
    ["fe80::", "fe80::"],
    ["ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
  ];
  for (const [input, expected] of cases) {
    assert.equal(v6(input), expected, input);
    assert.equal(nodeText(input), expected, `oracle agrees on ${input}`);
  }
  const bad = [
    "",
    ":",
    ":::",
    "1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:8:9",
    "1::2::3",
    "12345::",
    "1:2:3:4:5:6:7:8::",
    "::1:2:3:4:5:6:7:8",
    "1:",
    ":1",
    "1:2:3:4:5:6:1.2.3.4:1",
    "::1.2.3",
    "::01.2.3.4",
    "fe80::1%eth0",
    "g::1",
    " ::1",
    "::1 ",
    "1:2:3:4:5:6:7:1.2.3.4",
  ];
  for (const b of bad) assert.equal(v6(b), undefined, b);
});

test("formatIPv6 equals Node's text for any 16 bytes", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.boolean(), (bytes, sparse) => {
      // Many zero groups make the interesting compression cases likely.
      if (sparse) for (let i = 0; i < 16; i += 2) if (bytes[i]! < 160) bytes.fill(0, i, i + 2);
      const groups: string[] = [];
      for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
      assert.equal(formatIPv6(bytes, 0), nodeText(groups.join(":")));
    }),
    { numRuns: 2000 },
  );
});

test("any IPv6 text fast-check can write parses to what Node would print", () => {
  fc.assert(
    fc.property(fc.ipV6(), (text) => {
      assert.equal(v6(text), nodeText(text));
    }),
    { numRuns: 2000 },
  );
});

test("any IPv4 text fast-check can write round-trips", () => {
  fc.assert(
    fc.property(fc.ipV4(), (text) => {
      const bytes = v4(text);
      assert.ok(bytes);
      assert.equal(formatIPv4(Uint8Array.from(bytes), 0), text);
    }),
  );
});

test("isIPv4Mapped recognises ::ffff:a.b.c.d only", () => {
  const b = new Uint8Array(16);
  const put = (s: string) => {
    const src = Buffer.from(s);
    assert.ok(parseIPv6Bytes(src, 0, src.length, b, 0));
  };
  put("::ffff:1.2.3.4");
  assert.ok(isIPv4Mapped(b, 0));
  put("::1.2.3.4");
  assert.ok(!isIPv4Mapped(b, 0));
  put("1::ffff:1.2.3.4");
  assert.ok(!isIPv4Mapped(b, 0));
});
