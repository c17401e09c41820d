import assert from "node:assert/strict";
import { test } from "node:test";
import { signMessage, verifyAnswer } from "./tsig.ts";
import { buildTxtUpdate, inZone } from "./update.ts";
import { DnsEncodeError, encodeName, txtRdata } from "./wire.ts";

test("an UPDATE adding a TXT record, byte by byte (RFC 2136 §2)", () => {
  const msg = buildTxtUpdate(0x1234, {
    action: "add",
    zone: "ex.test",
    name: "_acme-challenge.ex.test.",
    value: "v",
    ttl: 60,
  });
  const expected = Buffer.concat([
    Buffer.from([0x12, 0x34, 0x28, 0x00, 0, 1, 0, 0, 0, 1, 0, 0]), // id, opcode 5, ZO=1, PR=0, UP=1, AD=0
    encodeName("ex.test"),
    Buffer.from([0, 6, 0, 1]), // SOA IN
    encodeName("_acme-challenge.ex.test"),
    Buffer.from([0, 16, 0, 1, 0, 0, 0, 60, 0, 2, 1, 0x76]), // TXT IN ttl 60, rdata "\x01v"
  ]);
  assert.deepEqual(msg, expected);
  const del = buildTxtUpdate(1, {
    action: "delete",
    zone: "ex.test",
    name: "a.ex.test",
    value: "v",
    ttl: 60,
  });
  assert.deepEqual(
    del.subarray(del.length - 12),
    Buffer.from([0, 16, 0, 254, 0, 0, 0, 0, 0, 2, 1, 0x76]),
    "class NONE, ttl 0",
  );
});

test("names and TXT strings are encoded within their limits", () => {
  assert.deepEqual(encodeName("A.b."), Buffer.from([1, 0x61, 1, 0x62, 0]));
  assert.deepEqual(encodeName("."), Buffer.from([0]));
  assert.throws(() => encodeName(`${"a".repeat(64)}.test`), DnsEncodeError);
  assert.throws(() => encodeName("a..test"), DnsEncodeError);
  assert.equal(txtRdata("x".repeat(300)).length, 302, "two strings: 255 + 45 bytes, each with its length");
  assert.ok(inZone("_acme-challenge.a.ex.test.", "ex.test"));
  assert.ok(!inZone("_acme-challenge.a.notex.test.", "ex.test"));
});

test("TSIG: a signed answer verifies against the request MAC; any change breaks it (RFC 8945 §5.3)", () => {
  const key = { name: "k.", algorithm: "hmac-sha256" as const, secret: Buffer.alloc(32, 1) };
  const request = signMessage(
    buildTxtUpdate(7, { action: "add", zone: "ex.test", name: "a.ex.test", value: "v", ttl: 1 }),
    key,
  );
  assert.equal(request.message.readUInt16BE(10), 1, "ARCOUNT counts the TSIG record");
  // An answer: header with QR set and NOERROR, then signed as the server would (request MAC first).
  const answerBody = Buffer.from(request.message.subarray(0, 12));
  answerBody.writeUInt16BE(0xa800, 2);
  answerBody.writeUInt16BE(0, 4);
  answerBody.writeUInt16BE(0, 8);
  answerBody.writeUInt16BE(0, 10);
  // Signed like a request (without the request MAC in the digest): must not pass as the answer.
  // (A correctly signed answer verifying is proven against Knot in rfc2136.interop.test.ts.)
  const signed = signMessage(answerBody, key);
  assert.equal(verifyAnswer(signed.message, key, request.mac).ok, false, "MAC not bound to the request");
  const unsigned = verifyAnswer(answerBody, key, request.mac);
  assert.deepEqual(unsigned, { ok: false, reason: "answer not signed" });
  const tampered = Buffer.from(signed.message);
  tampered[tampered.length - 10] ^= 1;
  assert.equal(verifyAnswer(tampered, key, request.mac).ok, false);
});
