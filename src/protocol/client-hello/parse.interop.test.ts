// ClientHellos captured at test time from real clients (openssl s_client, Node's tls.connect) parse to
// what those clients were asked to offer.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, test } from "node:test";
import { captureHello, captureNodeHello, requireProgram } from "./capture-hello.testkit.ts";
import { parseClientHello } from "./parse.ts";
import type { ClientHello } from "./types.ts";

const SERVER_NAME = 0;
const ALPN = 16;
const SUPPORTED_VERSIONS = 43;

function parsed(bytes: Buffer): { hello: ClientHello; length: number } {
  const result = parseClientHello(bytes);
  assert.equal(result.kind, "hello", JSON.stringify(result));
  if (result.kind !== "hello") throw new Error("unreachable");
  assert.ok(result.length <= bytes.length);
  return result;
}

describe("ClientHello from openssl s_client", () => {
  async function captureOpenssl(t: import("node:test").TestContext, args: string[]): Promise<Buffer> {
    return captureHello(t, (port) => {
      const child = spawn("openssl", ["s_client", "-connect", `127.0.0.1:${port}`, ...args], {
        stdio: ["pipe", "ignore", "ignore"],
      });
      t.after(() => child.kill());
    });
  }

  test("TLS 1.3 with SNI and ALPN h2,http/1.1", async (t) => {
    if (!requireProgram(t, "openssl", ["version"])) return;
    const bytes = await captureOpenssl(t, ["-servername", "example.com", "-alpn", "h2,http/1.1", "-tls1_3"]);
    const { hello, length } = parsed(bytes);
    assert.equal(length, bytes.length);
    assert.equal(hello.serverName, "example.com");
    assert.deepEqual(hello.alpn, ["h2", "http/1.1"]);
    assert.deepEqual(hello.supportedVersions, [0x0304]);
    assert.equal(hello.legacyVersion, 0x0303);
    assert.ok([0x0301, 0x0303].includes(hello.recordVersion));
    assert.ok(hello.cipherSuites.includes(0x1301), "offers TLS_AES_128_GCM_SHA256");
    for (const type of [SERVER_NAME, ALPN, SUPPORTED_VERSIONS]) assert.ok(hello.extensions.includes(type));
    assert.ok(hello.pskModes.includes(1), "offers psk_dhe_ke");
  });

  test("TLS 1.2 only, with an upper-case SNI", async (t) => {
    if (!requireProgram(t, "openssl", ["version"])) return;
    const bytes = await captureOpenssl(t, [
      "-servername",
      "Mixed.Example.ORG",
      "-alpn",
      "http/1.1",
      "-tls1_2",
    ]);
    const { hello } = parsed(bytes);
    assert.equal(hello.serverName, "mixed.example.org");
    assert.deepEqual(hello.alpn, ["http/1.1"]);
    assert.equal(hello.legacyVersion, 0x0303);
    assert.ok(!hello.supportedVersions.includes(0x0304), "a TLS 1.2-only client does not offer 1.3");
    assert.ok(!hello.cipherSuites.includes(0x1301), "no TLS 1.3 suites");
  });

  test("no SNI, no ALPN, default versions", async (t) => {
    if (!requireProgram(t, "openssl", ["version"])) return;
    const bytes = await captureOpenssl(t, ["-noservername"]);
    const { hello } = parsed(bytes);
    assert.equal(hello.serverName, undefined);
    assert.deepEqual(hello.alpn, []);
    assert.ok(!hello.extensions.includes(SERVER_NAME));
    // The floor depends on the system's OpenSSL configuration; the top two are always 1.3 then 1.2.
    assert.deepEqual(hello.supportedVersions.slice(0, 2), [0x0304, 0x0303]);
  });
});

describe("ClientHello from Node's tls.connect", () => {
  test("SNI is lowercased, ALPN kept in order", async (t) => {
    const bytes = await captureNodeHello(t, {
      servername: "Api.Example.COM",
      ALPNProtocols: ["h2", "http/1.1"],
    });
    const { hello, length } = parsed(bytes);
    assert.equal(length, bytes.length);
    assert.equal(hello.serverName, "api.example.com");
    assert.deepEqual(hello.alpn, ["h2", "http/1.1"]);
    assert.ok(hello.supportedVersions.includes(0x0304));
    assert.ok(hello.cipherSuites.length > 0);
    assert.equal(new Set(hello.extensions).size, hello.extensions.length);
  });

  test("maxVersion TLSv1.2", async (t) => {
    const bytes = await captureNodeHello(t, { servername: "legacy.example", maxVersion: "TLSv1.2" });
    const { hello } = parsed(bytes);
    assert.equal(hello.serverName, "legacy.example");
    assert.equal(hello.legacyVersion, 0x0303);
    assert.ok(!hello.supportedVersions.includes(0x0304));
  });
});
