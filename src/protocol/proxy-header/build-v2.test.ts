import assert from "node:assert/strict";
import { test } from "node:test";
import { buildProxyHeaderV2 } from "./build-v2.ts";
import { crc32c } from "./crc32c.ts";
import { ProxyHeaderBuildError, ProxyHeaderErrorCode } from "./errors.ts";
import { parseProxyHeaderV2 } from "./parse-v2.ts";

const SIG = "0d0a0d0a000d0a515549540a";

test("TCP over IPv4: exact bytes", () => {
  const b = buildProxyHeaderV2({
    source: { address: "192.168.0.1", port: 56324 },
    destination: { address: "10.0.0.2", port: 443 },
  });
  assert.equal(b.toString("hex"), `${SIG}2111000cc0a800010a000002dc0401bb`);
});

test("UDP over IPv6 and mixed families: exact bytes", () => {
  const b = buildProxyHeaderV2({
    transport: "dgram",
    source: { address: "1.2.3.4", port: 1 },
    destination: { address: "2001:db8::1", port: 2 },
  });
  assert.equal(
    b.toString("hex"),
    [
      SIG,
      "21220024",
      "00000000000000000000ffff01020304",
      "20010db8000000000000000000000001",
      "00010002",
    ].join(""),
  );
});

test("LOCAL and address-less PROXY use AF_UNSPEC with length 0", () => {
  assert.equal(buildProxyHeaderV2({ command: "local" }).toString("hex"), `${SIG}20000000`);
  const ends = { source: { address: "1.2.3.4", port: 1 }, destination: { address: "1.2.3.4", port: 2 } };
  assert.equal(buildProxyHeaderV2({ command: "local", ...ends }).toString("hex"), `${SIG}20000000`);
  assert.equal(buildProxyHeaderV2({}).toString("hex"), `${SIG}21000000`);
});

test("UNIX paths are NUL padded to 108 bytes", () => {
  const b = buildProxyHeaderV2({ source: { path: "/run/a.sock" }, destination: { path: "\0abs" } });
  assert.equal(b.length, 16 + 216);
  assert.equal(b[13], 0x31);
  assert.equal(b.toString("latin1", 16, 27), "/run/a.sock");
  assert.ok(b.subarray(27, 124).every((x) => x === 0));
  assert.equal(b.toString("latin1", 124, 128), "\0abs");
});

test("TLVs are written in the documented order and the CRC32C is over the zeroed header", () => {
  const b = buildProxyHeaderV2(
    {
      source: { address: "1.2.3.4", port: 1 },
      destination: { address: "5.6.7.8", port: 2 },
      alpn: "h2",
      authority: "a.example",
      uniqueId: Buffer.from([1, 2]),
      ssl: { client: 5, verify: 1, version: "TLSv1.3", extraTlvs: [{ type: 0x26, value: Buffer.from([7]) }] },
      netns: "ns",
      extraTlvs: [{ type: 0xe5, value: Buffer.from("x") }],
    },
    { crc32c: true },
  );
  const types: number[] = [];
  for (let at = 28; at < b.length; at += 3 + b.readUInt16BE(at + 1)) types.push(b[at]!);
  assert.deepEqual(types, [0x03, 0x01, 0x02, 0x05, 0x20, 0x30, 0xe5]);
  const zeroed = Buffer.from(b);
  zeroed.fill(0, 31, 35);
  assert.equal(b.readUInt32BE(31), crc32c(zeroed));
  assert.equal(b.readUInt16BE(14), b.length - 16);
  // The SSL TLV: client, verify, then sub-TLVs.
  const ssl = b.indexOf(Buffer.from([0x20]), 28 + 7 + 5 + 12 + 5);
  assert.deepEqual([...b.subarray(ssl + 3, ssl + 8)], [5, 0, 0, 0, 1]);
  const parsed = parseProxyHeaderV2(b);
  assert.equal(parsed.kind, "header");
  if (parsed.kind !== "header") return;
  assert.equal(parsed.header.crc32cChecked, true);
  assert.equal(parsed.header.ssl?.version, "TLSv1.3");
});

test("a LOCAL header may carry TLVs (e.g. a health check's unique id)", () => {
  const b = buildProxyHeaderV2({ command: "local", uniqueId: Buffer.from("hc-1") }, { crc32c: true });
  const r = parseProxyHeaderV2(b);
  assert.equal(r.kind === "header" && r.header.command, "local");
  assert.equal(r.kind === "header" && r.header.uniqueId?.toString(), "hc-1");
  assert.equal(r.kind === "header" && r.header.crc32cChecked, true);
});

test("what the format cannot carry throws ProxyHeaderBuildError with a code", () => {
  const ip = { source: { address: "1.2.3.4", port: 1 }, destination: { address: "1.2.3.4", port: 2 } };
  const cases: [() => unknown, string][] = [
    [() => buildProxyHeaderV2({ source: ip.source }), ProxyHeaderErrorCode.BAD_ADDRESS],
    [
      () => buildProxyHeaderV2({ source: ip.source, destination: { path: "/x" } }),
      ProxyHeaderErrorCode.BAD_FAMILY,
    ],
    [
      () => buildProxyHeaderV2({ source: { path: "x".repeat(109) }, destination: { path: "/x" } }),
      ProxyHeaderErrorCode.BAD_ADDRESS,
    ],
    [() => buildProxyHeaderV2({ ...ip, uniqueId: Buffer.alloc(129) }), ProxyHeaderErrorCode.BAD_TLV],
    [() => buildProxyHeaderV2({ ...ip, authority: "x".repeat(70000) }), ProxyHeaderErrorCode.BAD_TLV],
    [
      () =>
        buildProxyHeaderV2({ ...ip, extraTlvs: Array(3).fill({ type: 0xe0, value: Buffer.alloc(30000) }) }),
      ProxyHeaderErrorCode.BAD_TLV,
    ],
    [
      () => buildProxyHeaderV2({ ...ip, extraTlvs: [{ type: 3, value: Buffer.alloc(4) }] }),
      ProxyHeaderErrorCode.BAD_TLV,
    ],
    [
      () => buildProxyHeaderV2({ ...ip, extraTlvs: [{ type: 256, value: Buffer.alloc(1) }] }),
      ProxyHeaderErrorCode.BAD_TLV,
    ],
    [() => buildProxyHeaderV2({ ...ip, ssl: { client: 256, verify: 0 } }), ProxyHeaderErrorCode.BAD_TLV],
    [() => buildProxyHeaderV2({ ...ip, ssl: { client: 1, verify: -1 } }), ProxyHeaderErrorCode.BAD_TLV],
  ];
  for (const [fn, code] of cases) {
    assert.throws(fn, (e) => e instanceof ProxyHeaderBuildError && e.code === code, code);
  }
});
