// Property tests: whatever the bytes, parseClientHello returns one of its three results, never throws,
// and a hello it reports is consistent with the bytes (length within the buffer and the budget, a valid
// host name, "incomplete" for every shorter prefix).

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { captureNodeHello } from "./capture-hello.testkit.ts";
import { frameRecords, unframeRecords } from "./hello-builder.testkit.ts";
import { DEFAULT_MAX_HELLO_BYTES, parseClientHello } from "./parse.ts";
import { ClientHelloErrorCode, type ClientHelloResult } from "./types.ts";

const ERROR_CODES = new Set<string>(Object.values(ClientHelloErrorCode));
const HOST_NAME = /^[a-z0-9_-]{1,63}(\.[a-z0-9_-]{1,63})*$/;

function assertWellFormedResult(buf: Buffer, result: ClientHelloResult, maxBytes: number): void {
  switch (result.kind) {
    case "incomplete":
      return;
    case "error":
      assert.ok(ERROR_CODES.has(result.code), result.code);
      assert.equal(typeof result.message, "string");
      return;
    case "hello": {
      assert.ok(Number.isInteger(result.length) && result.length >= 9, `length ${result.length}`);
      assert.ok(result.length <= buf.length && result.length <= maxBytes, `length ${result.length}`);
      const name = result.hello.serverName;
      if (name !== undefined) assert.ok(name.length <= 253 && HOST_NAME.test(name), name);
      for (const list of [
        result.hello.cipherSuites,
        result.hello.supportedVersions,
        result.hello.extensions,
      ]) {
        for (const value of list) assert.ok(Number.isInteger(value) && value >= 0 && value <= 0xffff);
      }
      return;
    }
    default:
      assert.fail(`unexpected result ${JSON.stringify(result)}`);
  }
}

test("random bytes never throw", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      const buf = Buffer.from(bytes);
      assertWellFormedResult(buf, parseClientHello(buf), DEFAULT_MAX_HELLO_BYTES);
    }),
    { numRuns: 2000 },
  );
});

test("random bytes behind a handshake record header never throw", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 4 }),
      fc.uint8Array({ maxLength: 400 }),
      fc.integer({ min: 16, max: 1000 }),
      (minor, bytes, maxBytes) => {
        const length = Buffer.alloc(2);
        length.writeUInt16BE(bytes.length);
        const buf = Buffer.concat([Buffer.from([22, 3, minor]), length, Buffer.from([1]), bytes]);
        assertWellFormedResult(buf, parseClientHello(buf, { maxBytes }), maxBytes);
      },
    ),
    { numRuns: 2000 },
  );
});

test("mutated real hellos never throw, and a hello is preceded only by incomplete prefixes", async (t) => {
  const captured = await captureNodeHello(t, {
    servername: "fuzz.example",
    ALPNProtocols: ["h2", "http/1.1"],
  });
  const first = parseClientHello(captured);
  assert.equal(first.kind, "hello");
  const records = captured.subarray(0, first.kind === "hello" ? first.length : 0);
  const handshake = unframeRecords(records);

  const mutation = fc.record({
    recordSize: fc.constantFrom(0, 1, 5, 50, 16384),
    edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
    cut: fc.option(fc.nat(), { nil: undefined }),
    maxBytes: fc.option(fc.integer({ min: 0, max: 20000 }), { nil: undefined }),
  });
  fc.assert(
    fc.property(mutation, ({ recordSize, edits, cut, maxBytes }) => {
      // recordSize 0 mutates the captured records; otherwise the handshake bytes, then frames them.
      const mutate = (bytes: Buffer): Buffer => {
        for (const [at, value] of edits) bytes[at % bytes.length] = value;
        return bytes;
      };
      const buf =
        recordSize === 0
          ? mutate(Buffer.from(records))
          : frameRecords(mutate(Buffer.from(handshake)), recordSize);
      const input = cut === undefined ? buf : buf.subarray(0, cut % (buf.length + 1));
      const budget = maxBytes ?? DEFAULT_MAX_HELLO_BYTES;
      const result = parseClientHello(input, maxBytes === undefined ? undefined : { maxBytes });
      assertWellFormedResult(input, result, budget);
      if (result.kind === "hello") {
        for (let shorter = 0; shorter < result.length; shorter += 7) {
          const prefix = parseClientHello(input.subarray(0, shorter), { maxBytes: budget });
          assert.equal(prefix.kind, "incomplete", `prefix of ${shorter} bytes`);
        }
      }
    }),
    { numRuns: 1500 },
  );
});
