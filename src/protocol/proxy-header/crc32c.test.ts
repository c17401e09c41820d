import assert from "node:assert/strict";
import { test } from "node:test";
import { CRC32C_INITIAL_STATE, crc32c, crc32cFinish, crc32cUpdate, crc32cUpdateZeros } from "./crc32c.ts";

test("crc32c matches the RFC 3720 B.4 and the '123456789' check values", () => {
  assert.equal(crc32c(Buffer.from("123456789", "latin1")), 0xe3069283);
  assert.equal(crc32c(Buffer.alloc(32)), 0x8a9136aa);
  assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
  assert.equal(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i))), 0x46dd794e);
  assert.equal(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i))), 0x113fdb5c);
  assert.equal(crc32c(Buffer.alloc(0)), 0);
});

test("crc32c over a range equals crc32c of the slice", () => {
  const data = Buffer.from("xx123456789yy", "latin1");
  assert.equal(crc32c(data, 2, 11), 0xe3069283);
});

test("piecewise updates with a zeroed hole equal the checksum of the zeroed copy", () => {
  const data = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 37) & 0xff));
  const zeroed = Buffer.from(data);
  zeroed.fill(0, 20, 24);
  let state = crc32cUpdate(CRC32C_INITIAL_STATE, data, 0, 20);
  state = crc32cUpdateZeros(state, 4);
  state = crc32cUpdate(state, data, 24, data.length);
  assert.equal(crc32cFinish(state), crc32c(zeroed));
});
