import assert from "node:assert/strict";
import { test } from "node:test";
import { newRequestId } from "./id.ts";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test("request ids are lower-case UUID v4 strings, unique across many batches", () => {
  const n = 100_000; // a few hundred batch refills
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const id = newRequestId();
    assert.match(id, UUID_V4);
    seen.add(id);
  }
  assert.equal(seen.size, n);
});

test("every random hex digit of a request id takes all 16 values", () => {
  // 122 random bits: over 4096 ids each free digit shows every value (the chance one does not is ~1e-112).
  const ids = Array.from({ length: 4096 }, newRequestId);
  for (let pos = 0; pos < 36; pos++) {
    const values = new Set(ids.map((id) => id[pos]));
    if ([8, 13, 18, 23].includes(pos)) assert.deepEqual([...values], ["-"]);
    else if (pos === 14) assert.deepEqual([...values], ["4"], "version digit");
    else if (pos === 19) assert.equal(values.size, 4, "variant digit is one of 8, 9, a, b");
    else assert.equal(values.size, 16, `digit ${pos}`);
  }
});
