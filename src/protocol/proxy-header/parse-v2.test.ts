import assert from "node:assert/strict";
import { test } from "node:test";
import { crc32c } from "./crc32c.ts";
import { ProxyHeaderErrorCode } from "./errors.ts";
import { expectErrorCode, expectHeader, tcp4Header } from "./parse-result.testkit.ts";
import { parseProxyHeaderV2 } from "./parse-v2.ts";

// Headers here are written byte by byte from the spec, not with our builder, so that a mistake shared by
// the builder and the parser cannot hide.
const SIG = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];

function v2(verCmd: number, fam: number, body: number[] | Buffer, lengthOverride?: number): Buffer {
  const b = Buffer.from(body);
  const len = lengthOverride ?? b.length;
  return Buffer.concat([Buffer.from([...SIG, verCmd, fam, len >> 8, len & 0xff]), b]);
}

function tlv(type: number, value: number[] | Buffer | string): Buffer {
  const v = typeof value === "string" ? Buffer.from(value, "utf8") : Buffer.from(value);
  return Buffer.concat([Buffer.from([type, v.length >> 8, v.length & 0xff]), v]);
}

const IPV4_BLOCK = [192, 168, 0, 1, 10, 0, 0, 2, 0xdc, 0x04, 0x01, 0xbb]; // 56324 -> 443

const header = (buf: Buffer) => expectHeader(parseProxyHeaderV2(buf));
const errorCode = (buf: Buffer) => expectErrorCode(parseProxyHeaderV2(buf));

test("PROXY TCP over IPv4, with client data after it", () => {
  const h = v2(0x21, 0x11, IPV4_BLOCK);
  const r = header(Buffer.concat([h, Buffer.from("hello")]));
  assert.equal(r.length, 28);
  assert.deepEqual(
    r.header,
    tcp4Header(2, { address: "192.168.0.1", port: 56324 }, { address: "10.0.0.2", port: 443 }),
  );
});

test("UDP over IPv6; addresses in Node's text", () => {
  const src = Buffer.from("20010db8000000000000000000000001", "hex");
  const dst = Buffer.from("00000000000000000000ffff7f000001", "hex");
  const r = header(v2(0x21, 0x22, Buffer.concat([src, dst, Buffer.from([0, 53, 0xff, 0xff])])));
  assert.equal(r.length, 16 + 36);
  assert.equal(r.header.family, "ipv6");
  assert.equal(r.header.transport, "dgram");
  assert.deepEqual(r.header.source, { address: "2001:db8::1", port: 53 });
  assert.deepEqual(r.header.destination, { address: "::ffff:127.0.0.1", port: 65535 });
});

test("AF_UNIX stream and datagram, with plain and abstract paths", () => {
  const block = Buffer.alloc(216);
  block.write("/run/app.sock", 0);
  block.write("\0abstract\0name", 108);
  for (const [fam, transport] of [
    [0x31, "stream"],
    [0x32, "dgram"],
  ] as const) {
    const r = header(v2(0x21, fam, block));
    assert.equal(r.length, 16 + 216);
    assert.equal(r.header.family, "unix");
    assert.equal(r.header.transport, transport);
    assert.deepEqual(r.header.source, { path: "/run/app.sock" });
    assert.deepEqual(r.header.destination, { path: "\0abstract\0name" });
  }
  // A path filling all 108 bytes has no terminating NUL.
  const full = Buffer.alloc(216, 0x61);
  assert.equal((header(v2(0x21, 0x31, full)).header.source as { path: string }).path, "a".repeat(108));
});

test("LOCAL: family ignored, addresses discarded, length always honoured", () => {
  const plain = header(v2(0x20, 0x00, []));
  assert.equal(plain.length, 16);
  assert.equal(plain.header.command, "local");
  assert.equal(plain.header.family, "unspec");
  assert.equal(plain.header.source, undefined);
  // With an address block the receiver must still skip it (§2.2: "must not assume zero").
  const withBlock = header(v2(0x20, 0x11, [...IPV4_BLOCK, ...tlv(0x01, "h2")]));
  assert.equal(withBlock.length, 16 + 12 + 5);
  assert.equal(withBlock.header.family, "unspec");
  assert.equal(withBlock.header.alpn, "h2");
  // An unknown family byte or a short block: the whole block is skipped, not parsed.
  const odd = header(v2(0x20, 0x99, [1, 2, 3]));
  assert.equal(odd.length, 19);
  assert.deepEqual(odd.header.tlvs, []);
  assert.equal(header(v2(0x20, 0x21, [1, 2, 3])).length, 19);
});

test("PROXY with AF_UNSPEC: no addresses, TLVs still read", () => {
  const r = header(v2(0x21, 0x00, tlv(0x02, "example.com")));
  assert.equal(r.header.family, "unspec");
  assert.equal(r.header.transport, "unspec");
  assert.equal(r.header.authority, "example.com");
});

test("every TLV type is decoded and every TLV is listed in order", () => {
  const ssl = Buffer.concat([
    Buffer.from([0x07, 0, 0, 0, 0]),
    tlv(0x21, "TLSv1.3"),
    tlv(0x22, "client.example"),
    tlv(0x23, "TLS_AES_128_GCM_SHA256"),
    tlv(0x24, "SHA256"),
    tlv(0x25, "RSA2048"),
    tlv(0x26, [9]),
  ]);
  const body = Buffer.concat([
    Buffer.from(IPV4_BLOCK),
    tlv(0x01, "http/1.1"),
    tlv(0x02, "bücher.example"),
    tlv(0x04, [0, 0, 0]),
    tlv(0x05, Buffer.alloc(128, 7)),
    tlv(0x20, ssl),
    tlv(0x30, "blue"),
    tlv(0xe0, [1, 2, 3]),
    tlv(0x04, []),
  ]);
  const r = header(v2(0x21, 0x11, body));
  const h = r.header;
  assert.equal(h.alpn, "http/1.1");
  assert.equal(h.authority, "bücher.example");
  assert.deepEqual(h.uniqueId, Buffer.alloc(128, 7));
  assert.equal(h.netns, "blue");
  assert.equal(h.crc32cChecked, false);
  assert.deepEqual(
    h.tlvs.map((t) => t.type),
    [0x01, 0x02, 0x04, 0x05, 0x20, 0x30, 0xe0, 0x04],
  );
  assert.deepEqual(h.tlvs[6]?.value, Buffer.from([1, 2, 3]));
  assert.ok(h.ssl);
  assert.equal(h.ssl.client, 7);
  assert.equal(h.ssl.verify, 0);
  assert.equal(h.ssl.version, "TLSv1.3");
  assert.equal(h.ssl.cn, "client.example");
  assert.equal(h.ssl.cipher, "TLS_AES_128_GCM_SHA256");
  assert.equal(h.ssl.sigAlg, "SHA256");
  assert.equal(h.ssl.keyAlg, "RSA2048");
  assert.deepEqual(
    h.ssl.tlvs.map((t) => t.type),
    [0x21, 0x22, 0x23, 0x24, 0x25, 0x26],
  );
});

test("SSL verify is an unsigned 32-bit field; a bare SSL TLV has no sub-TLVs", () => {
  const r = header(v2(0x21, 0x11, [...IPV4_BLOCK, ...tlv(0x20, [0x01, 0xff, 0xff, 0xff, 0xfe])]));
  assert.deepEqual(r.header.ssl, { client: 1, verify: 0xfffffffe, tlvs: [] });
});

function withCrc(body: Buffer, corrupt = false): Buffer {
  const h = v2(0x21, 0x11, Buffer.concat([Buffer.from(IPV4_BLOCK), tlv(0x03, [0, 0, 0, 0]), body]));
  const at = 16 + 12 + 3;
  h.writeUInt32BE(crc32c(h), at);
  if (corrupt) h[h.length - 1]! ^= 1;
  return h;
}

test("CRC32C is verified over the whole header with its field zeroed", () => {
  const good = header(withCrc(tlv(0x01, "h2")));
  assert.equal(good.header.crc32cChecked, true);
  assert.equal(good.header.alpn, "h2");
  assert.equal(errorCode(withCrc(tlv(0x01, "h2"), true)), ProxyHeaderErrorCode.BAD_CRC);
  const flippedCrc = withCrc(tlv(0x01, "h2"));
  flippedCrc[31]! ^= 0x80;
  assert.equal(errorCode(flippedCrc), ProxyHeaderErrorCode.BAD_CRC);
  // Client data after the header is not part of the checksum.
  assert.equal(
    header(Buffer.concat([withCrc(Buffer.alloc(0)), Buffer.from("x")])).header.crc32cChecked,
    true,
  );
});

test("malformed fixed part: each byte is judged as soon as it arrives", () => {
  assert.equal(errorCode(Buffer.from([0x0d, 0x0a, 0x0d, 0x0b])), ProxyHeaderErrorCode.BAD_SIGNATURE);
  assert.equal(errorCode(v2(0x11, 0x11, IPV4_BLOCK)), ProxyHeaderErrorCode.V2_BAD_VERSION);
  assert.equal(errorCode(v2(0x31, 0x11, IPV4_BLOCK)), ProxyHeaderErrorCode.V2_BAD_VERSION);
  assert.equal(errorCode(v2(0x22, 0x11, IPV4_BLOCK)), ProxyHeaderErrorCode.V2_BAD_COMMAND);
  assert.equal(errorCode(v2(0x2f, 0x11, IPV4_BLOCK)), ProxyHeaderErrorCode.V2_BAD_COMMAND);
  assert.equal(errorCode(Buffer.from([...SIG, 0x21, 0x13])), ProxyHeaderErrorCode.BAD_FAMILY);
  for (const fam of [0x01, 0x02, 0x10, 0x20, 0x30, 0x40, 0x41, 0x13, 0x23, 0xff]) {
    assert.equal(
      errorCode(v2(0x21, fam, Buffer.alloc(216))),
      ProxyHeaderErrorCode.BAD_FAMILY,
      fam.toString(16),
    );
  }
  assert.equal(errorCode(Buffer.from([...SIG, 0x21, 0x11, 0, 11])), ProxyHeaderErrorCode.V2_BAD_LENGTH);
  assert.equal(errorCode(v2(0x21, 0x21, Buffer.alloc(35))), ProxyHeaderErrorCode.V2_BAD_LENGTH);
  assert.equal(errorCode(v2(0x21, 0x31, Buffer.alloc(215))), ProxyHeaderErrorCode.V2_BAD_LENGTH);
});

test("malformed TLVs", () => {
  const ip = (...rest: Buffer[]) => v2(0x21, 0x11, Buffer.concat([Buffer.from(IPV4_BLOCK), ...rest]));
  assert.equal(errorCode(ip(Buffer.from([0x01]))), ProxyHeaderErrorCode.TRUNCATED_TLV);
  assert.equal(errorCode(ip(Buffer.from([0x01, 0x00]))), ProxyHeaderErrorCode.TRUNCATED_TLV);
  assert.equal(
    errorCode(ip(Buffer.from([0x01, 0x00, 0x03, 0x61, 0x62]))),
    ProxyHeaderErrorCode.TRUNCATED_TLV,
  );
  assert.equal(
    errorCode(ip(tlv(0x01, "h2"), Buffer.from([0xe0, 0xff, 0xff]))),
    ProxyHeaderErrorCode.TRUNCATED_TLV,
  );
  assert.equal(errorCode(ip(tlv(0x05, Buffer.alloc(129)))), ProxyHeaderErrorCode.BAD_TLV);
  assert.equal(errorCode(ip(tlv(0x03, [0, 0, 0]))), ProxyHeaderErrorCode.BAD_TLV);
  assert.equal(errorCode(ip(tlv(0x03, [0, 0, 0, 0, 0]))), ProxyHeaderErrorCode.BAD_TLV);
  assert.equal(errorCode(ip(tlv(0x20, [1, 0, 0, 0]))), ProxyHeaderErrorCode.BAD_TLV);
  assert.equal(errorCode(ip(tlv(0x20, [1, 0, 0, 0, 0, 0x21]))), ProxyHeaderErrorCode.TRUNCATED_TLV);
  assert.equal(
    errorCode(ip(tlv(0x20, [1, 0, 0, 0, 0, 0x21, 0, 9, 0x41]))),
    ProxyHeaderErrorCode.TRUNCATED_TLV,
  );
  assert.equal(errorCode(ip(tlv(0x02, [0xc3, 0x28]))), ProxyHeaderErrorCode.BAD_TLV);
  assert.equal(errorCode(ip(tlv(0x20, [1, 0, 0, 0, 0, 0x22, 0, 1, 0xff]))), ProxyHeaderErrorCode.BAD_TLV);
  // Two CRC32C TLVs: which one would be zeroed is ambiguous, so the header is refused.
  assert.equal(errorCode(ip(tlv(0x03, [0, 0, 0, 0]), tlv(0x03, [0, 0, 0, 0]))), ProxyHeaderErrorCode.BAD_TLV);
});

test("truncated at every byte: incomplete, then the header", () => {
  const ssl = Buffer.concat([Buffer.from([1, 0, 0, 0, 0]), tlv(0x21, "TLSv1.2")]);
  const full = withCrc(Buffer.concat([tlv(0x01, "h2"), tlv(0x20, ssl)]));
  for (let n = 0; n < full.length; n++) {
    assert.deepEqual(parseProxyHeaderV2(full.subarray(0, n)), { kind: "incomplete" }, `${n} bytes`);
  }
  assert.equal(header(full).length, full.length);
});

test("a TLV area cut by the length field is truncated, even with the missing bytes present after it", () => {
  const tlvs = tlv(0x01, "h2");
  const h = v2(0x21, 0x11, Buffer.concat([Buffer.from(IPV4_BLOCK), tlvs]), 12 + tlvs.length - 1);
  assert.equal(errorCode(h), ProxyHeaderErrorCode.TRUNCATED_TLV);
});
