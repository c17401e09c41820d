import assert from "node:assert/strict";
import { test } from "node:test";
import { chunkSizeOf, fieldNameKey, latin1, trimOws } from "./field-syntax.ts";

test("fieldNameKey: the lower-case key of a token, the same on every call, undefined for a non-token", () => {
  for (let round = 0; round < 3; round++) {
    assert.equal(fieldNameKey("Content-Length"), "content-length");
    assert.equal(fieldNameKey("content-length"), "content-length");
    assert.equal(fieldNameKey("X-Custom_1!#$%&'*+.^`|~"), "x-custom_1!#$%&'*+.^`|~");
    for (const bad of ["", "Host ", " Host", "Ho st", "a:b", "x\r\ny", "é", "a\0b", "(x)", "a/b"])
      assert.equal(fieldNameKey(bad), undefined, JSON.stringify(bad));
  }
});

test("fieldNameKey: names past what it remembers (many spellings, long names) are still checked and keyed", () => {
  for (let i = 0; i < 100; i++)
    assert.equal(
      fieldNameKey(`X-Name-${String(i).padStart(3, "0")}`),
      `x-name-${String(i).padStart(3, "0")}`,
    );
  const long = `X-${"Long".repeat(40)}`;
  assert.equal(fieldNameKey(long), long.toLowerCase());
  assert.equal(fieldNameKey(`${long} `), undefined);
});

test("trimOws and latin1: optional whitespace off both ends of a range; bytes as characters", () => {
  assert.equal(trimOws("Name: \t value \t", 5), "value");
  assert.equal(trimOws("a:  b  |rest", 2, 7), "b");
  assert.equal(latin1(Buffer.from([0x41, 0xe9, 0x42]), 0, 3), "A\u00e9B");
});

test("chunkSizeOf: hex sizes with optional whitespace and extensions; -1 for anything else", () => {
  assert.equal(chunkSizeOf("1a"), 26);
  assert.equal(chunkSizeOf("FF ; name=value"), 255);
  assert.equal(chunkSizeOf("0"), 0);
  assert.equal(chunkSizeOf("fffffffffffff"), 0xfffffffffffff);
  for (const bad of ["", ";ext", "zz", "1a\r", "1 a", "+1", "fffffffffffff0", "1\0"])
    assert.equal(chunkSizeOf(bad), -1, JSON.stringify(bad));
});
