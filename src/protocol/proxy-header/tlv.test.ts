import assert from "node:assert/strict";
import { test } from "node:test";
import { ProxyHeaderErrorCode } from "./errors.ts";
import { decodeTlvs, writeTlvHeader } from "./tlv.ts";

test("writeTlvHeader writes type and big-endian length and returns the value offset", () => {
  const out = Buffer.alloc(8);
  assert.equal(writeTlvHeader(out, 2, 0xe1, 0x1234), 5);
  assert.deepEqual([...out.subarray(2, 5)], [0xe1, 0x12, 0x34]);
});

test("an empty TLV area decodes to no TLVs and no checksum", () => {
  const r = decodeTlvs(Buffer.alloc(4), 0, 4, 4);
  assert.ok(!("kind" in r));
  assert.deepEqual(r.tlvs, []);
  assert.equal(r.crc32cChecked, false);
});

test("only the given range is decoded, and values are views into the input", () => {
  const buf = Buffer.from([0xff, 0x01, 0x00, 0x02, 0x68, 0x32, 0xff, 0xff]);
  const r = decodeTlvs(buf, 0, 1, 6);
  assert.ok(!("kind" in r));
  assert.equal(r.alpn, "h2");
  assert.equal(r.tlvs[0]?.value.buffer, buf.buffer);
  assert.equal(r.tlvs[0]?.value.byteOffset, buf.byteOffset + 4);
});

test("the first of repeated TLVs fills the field; all are listed", () => {
  const buf = Buffer.from([0x01, 0, 1, 0x61, 0x01, 0, 1, 0x62, 0x30, 0, 2, 0x6e, 0x73]);
  const r = decodeTlvs(buf, 0, 0, buf.length);
  assert.ok(!("kind" in r));
  assert.equal(r.alpn, "a");
  assert.equal(r.netns, "ns");
  assert.equal(r.tlvs.length, 3);
});

test("a UNIQUE_ID of 0 and 128 bytes is fine; 129 is not", () => {
  for (const n of [0, 128]) {
    const buf = Buffer.concat([Buffer.from([0x05, 0, n]), Buffer.alloc(n, 1)]);
    const r = decodeTlvs(buf, 0, 0, buf.length);
    assert.ok(!("kind" in r));
    assert.equal(r.uniqueId?.length, n);
  }
  const buf = Buffer.concat([Buffer.from([0x05, 0, 129]), Buffer.alloc(129)]);
  const r = decodeTlvs(buf, 0, 0, buf.length);
  assert.ok("kind" in r && r.code === ProxyHeaderErrorCode.BAD_TLV);
});
