// Real ClientHellos arriving in pieces: split at every TCP offset, and re-framed into many small
// handshake records (RFC 8446 §5.1 allows a handshake message to span records, one byte each at worst).

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { type TestContext, test } from "node:test";
import { captureHello, captureNodeHello, requireProgram } from "./capture-hello.testkit.ts";
import { frameRecords, unframeRecords } from "./hello-builder.testkit.ts";
import { parseClientHello } from "./parse.ts";
import type { ClientHello } from "./types.ts";

function parseWhole(bytes: Buffer): { hello: ClientHello; length: number } {
  const result = parseClientHello(bytes);
  assert.equal(result.kind, "hello", JSON.stringify(result));
  if (result.kind !== "hello") throw new Error("unreachable");
  return result;
}

/** Every strict prefix is incomplete; the whole buffer gives `expected` and consumes all of it. */
function assertIncompleteThenHello(bytes: Buffer, expected: ClientHello): void {
  for (let cut = 0; cut < bytes.length; cut++) {
    const result = parseClientHello(bytes.subarray(0, cut));
    assert.equal(
      result.kind,
      "incomplete",
      `prefix of ${cut}/${bytes.length} bytes: ${JSON.stringify(result)}`,
    );
  }
  const { hello, length } = parseWhole(bytes);
  assert.equal(length, bytes.length);
  assert.deepEqual(hello, expected);
}

function checkCapturedHello(captured: Buffer): void {
  const { hello, length } = parseWhole(captured);
  const records = captured.subarray(0, length);
  assertIncompleteThenHello(records, hello);

  const handshake = unframeRecords(records);
  for (const recordSize of [1, 2, 3, 7, 64, 300]) {
    const reframed = frameRecords(handshake, recordSize, hello.recordVersion);
    if (recordSize === 1 || recordSize === 7) {
      assertIncompleteThenHello(reframed, hello);
    } else {
      const again = parseWhole(reframed);
      assert.equal(again.length, reframed.length);
      assert.deepEqual(again.hello, hello, `records of ${recordSize} bytes`);
    }
  }
}

test("Node's hello: incomplete at every split, and the same hello from records of 1..300 bytes", async (t) => {
  const captured = await captureNodeHello(t, {
    servername: "split.example",
    ALPNProtocols: ["h2", "http/1.1"],
  });
  checkCapturedHello(captured);
});

test("openssl's hello: incomplete at every split, and the same hello from small records", async (t: TestContext) => {
  if (!requireProgram(t, "openssl", ["version"])) return;
  const captured = await captureHello(t, (port) => {
    const args = ["s_client", "-connect", `127.0.0.1:${port}`, "-servername", "split.example", "-alpn", "h2"];
    const child = spawn("openssl", args, { stdio: ["pipe", "ignore", "ignore"] });
    t.after(() => child.kill());
  });
  checkCapturedHello(captured);
});
