import assert from "node:assert/strict";
import { test } from "node:test";
import { ProxyHeaderErrorCode } from "./errors.ts";
import { expectErrorCode, expectHeader, tcp4Header } from "./parse-result.testkit.ts";
import { parseProxyHeaderV1 } from "./parse-v1.ts";
import type { ParseResult } from "./types.ts";

const parse = (text: string): ParseResult => parseProxyHeaderV1(Buffer.from(text, "latin1"));

const header = (text: string) => expectHeader(parse(text), JSON.stringify(text));
const errorCode = (text: string) => expectErrorCode(parse(text), JSON.stringify(text));

test("TCP4 line: addresses, ports, length, the rest is left to the caller", () => {
  const line = "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n";
  const r = header(`${line}GET / HTTP/1.1\r\n`);
  assert.equal(r.length, line.length);
  assert.deepEqual(
    r.header,
    tcp4Header(1, { address: "192.168.0.1", port: 56324 }, { address: "192.168.0.11", port: 443 }),
  );
});

test("TCP6 line: addresses come back in Node's canonical text", () => {
  const r = header("PROXY TCP6 2001:DB8:0:0:0:0:0:1 ::FFFF:10.0.0.1 0 65535\r\n");
  assert.equal(r.header.family, "ipv6");
  assert.deepEqual(r.header.source, { address: "2001:db8::1", port: 0 });
  assert.deepEqual(r.header.destination, { address: "::ffff:10.0.0.1", port: 65535 });
});

test("UNKNOWN, short and with ignored fields", () => {
  const short = header("PROXY UNKNOWN\r\n");
  assert.equal(short.length, 15);
  assert.equal(short.header.family, "unspec");
  assert.equal(short.header.transport, "unspec");
  assert.equal(short.header.source, undefined);
  const long = header("PROXY UNKNOWN whatever the sender put here 1 2\r\nDATA");
  assert.equal(long.length, "PROXY UNKNOWN whatever the sender put here 1 2\r\n".length);
});

test("the 107-byte worst case is accepted and one more byte is too long", () => {
  const full = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
  const worst = `PROXY UNKNOWN ${full} ${full} 65535 65535\r\n`;
  assert.equal(worst.length, 107);
  assert.equal(header(worst).length, 107);
  const tcp6 = `PROXY TCP6 ${full} ${full} 65535 65535\r\n`;
  assert.deepEqual(header(tcp6).header.source, {
    address: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    port: 65535,
  });
  assert.equal(errorCode(`PROXY UNKNOWN ${full} ${full} 65535 655350\r\n`), ProxyHeaderErrorCode.V1_TOO_LONG);
  assert.equal(errorCode(`PROXY UNKNOWN ${"x".repeat(200)}`), ProxyHeaderErrorCode.V1_TOO_LONG);
  // An IPv6 with an IPv4 tail can make a TCP6 line that is valid token by token but too long.
  const tail = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255";
  assert.equal(errorCode(`PROXY TCP6 ${tail} ${tail} 65535 65535\r\n`), ProxyHeaderErrorCode.V1_TOO_LONG);
});

test("every strict prefix of a valid line is incomplete", () => {
  for (const line of [
    "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n",
    "PROXY TCP6 2001:db8::1 ::1 1 2\r\n",
    "PROXY UNKNOWN\r\n",
    "PROXY UNKNOWN 1.2.3.4\r\n",
  ]) {
    for (let n = 0; n < line.length; n++) {
      assert.deepEqual(parse(line.slice(0, n)), { kind: "incomplete" }, JSON.stringify(line.slice(0, n)));
    }
    assert.equal(header(line).length, line.length);
  }
});

test("malformed lines fail with the code that names the problem, as early as possible", () => {
  const cases: [string, string][] = [
    ["proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n", ProxyHeaderErrorCode.BAD_SIGNATURE],
    ["PROXY\tTCP4", ProxyHeaderErrorCode.BAD_SIGNATURE],
    ["PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", ProxyHeaderErrorCode.BAD_FAMILY],
    ["PROXY TCP", "incomplete"],
    ["PROXY UDP4", ProxyHeaderErrorCode.BAD_FAMILY],
    ["PROXY TCP44 ", ProxyHeaderErrorCode.BAD_FAMILY],
    ["PROXY UNKNOWNX\r\n", ProxyHeaderErrorCode.BAD_FAMILY],
    ["PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n", ProxyHeaderErrorCode.BAD_FAMILY],
    ["PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n", ProxyHeaderErrorCode.V1_BAD_SYNTAX],
    ["PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n", ProxyHeaderErrorCode.V1_BAD_SYNTAX],
    ["PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n", ProxyHeaderErrorCode.V1_BAD_SYNTAX],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 1  2\r\n", ProxyHeaderErrorCode.V1_BAD_SYNTAX],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", ProxyHeaderErrorCode.V1_BAD_SYNTAX],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", ProxyHeaderErrorCode.V1_BAD_SYNTAX],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX", ProxyHeaderErrorCode.V1_BAD_SYNTAX],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", ProxyHeaderErrorCode.V1_BAD_SYNTAX],
    ["PROXY TCP4 1.2.3.4 5.6.7.8\r\n", ProxyHeaderErrorCode.V1_BAD_SYNTAX],
    ["PROXY TCP4\r\n", ProxyHeaderErrorCode.V1_BAD_SYNTAX],
    ["PROXY TCP4 \r\n", ProxyHeaderErrorCode.V1_BAD_SYNTAX],
    ["PROXY \r\n", ProxyHeaderErrorCode.V1_BAD_SYNTAX],
    ["PROXY UNKNOWN\n", ProxyHeaderErrorCode.V1_BAD_SYNTAX],
    ["PROXY UNKNOWN\rX", ProxyHeaderErrorCode.V1_BAD_SYNTAX],
    ["PROXY UNKNOWN junk\nmore\r\n", ProxyHeaderErrorCode.V1_BAD_SYNTAX],
    ["PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n", ProxyHeaderErrorCode.BAD_ADDRESS],
    ["PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n", ProxyHeaderErrorCode.BAD_ADDRESS],
    ["PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n", ProxyHeaderErrorCode.BAD_ADDRESS],
    ["PROXY TCP4 1.2.3.4 5.6.7.8.9 1 2\r\n", ProxyHeaderErrorCode.BAD_ADDRESS],
    ["PROXY TCP4 ::1 ::1 1 2\r\n", ProxyHeaderErrorCode.BAD_ADDRESS],
    ["PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n", ProxyHeaderErrorCode.BAD_ADDRESS],
    ["PROXY TCP6 ::1 1::2::3 1 2\r\n", ProxyHeaderErrorCode.BAD_ADDRESS],
    ["PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n", ProxyHeaderErrorCode.BAD_ADDRESS],
    ["PROXY TCP6 ::1 ::g 1 2\r\n", ProxyHeaderErrorCode.BAD_ADDRESS],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", ProxyHeaderErrorCode.BAD_PORT],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n", ProxyHeaderErrorCode.BAD_PORT],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n", ProxyHeaderErrorCode.BAD_PORT],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 00 2\r\n", ProxyHeaderErrorCode.BAD_PORT],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n", ProxyHeaderErrorCode.BAD_PORT],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n", ProxyHeaderErrorCode.BAD_PORT],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 1 0x10\r\n", ProxyHeaderErrorCode.BAD_PORT],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 123456 2\r\n", ProxyHeaderErrorCode.BAD_PORT],
    // Early failures: no need to wait for the CRLF.
    ["PROXY TCP4 1.2.3.999", ProxyHeaderErrorCode.BAD_ADDRESS],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 70000", ProxyHeaderErrorCode.BAD_PORT],
    ["PROXY TCP6 zz", ProxyHeaderErrorCode.BAD_ADDRESS],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r", ProxyHeaderErrorCode.V1_BAD_SYNTAX],
    ["PROXY X", ProxyHeaderErrorCode.BAD_FAMILY],
  ];
  for (const [text, code] of cases) {
    if (code === "incomplete") assert.deepEqual(parse(text), { kind: "incomplete" }, text);
    else assert.equal(errorCode(text), code, JSON.stringify(text));
  }
});

test("never looks past byte 107 nor past the CRLF", () => {
  const line = "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n";
  const r = header(`${line}${"\0".repeat(500)}`);
  assert.equal(r.length, line.length);
  // Whatever follows the 107th byte cannot change the verdict.
  const prefix = `PROXY UNKNOWN ${"a".repeat(92)}`;
  assert.equal(prefix.length, 106);
  assert.equal(errorCode(`${prefix}\r`), ProxyHeaderErrorCode.V1_TOO_LONG);
  assert.equal(errorCode(`${prefix}\r\n`), ProxyHeaderErrorCode.V1_TOO_LONG);
  assert.equal(header(`${prefix.slice(0, 105)}\r\n`).length, 107);
});
