// parseClientHello on hand-built hellos: each test changes one field and checks the verdict.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  alpnExtension,
  type ExtensionSpec,
  frameRecords,
  handshakeMessage,
  helloBody,
  helloRecords,
  serverNameExtension,
  supportedVersionsExtension,
  u8Vector,
  u16Vector,
} from "./hello-builder.testkit.ts";
import { parseClientHello } from "./parse.ts";
import { ClientHelloErrorCode, type ClientHelloResult } from "./types.ts";

function expectHello(result: ClientHelloResult) {
  assert.equal(result.kind, "hello", JSON.stringify(result));
  if (result.kind !== "hello") throw new Error("unreachable");
  return result;
}

function expectError(result: ClientHelloResult, code: ClientHelloErrorCode) {
  assert.equal(result.kind, "error", JSON.stringify(result));
  if (result.kind !== "error") throw new Error("unreachable");
  assert.equal(result.code, code, result.message);
  assert.ok(result.message.length > 0);
}

describe("well-formed hellos", () => {
  test("decodes every field it reports", () => {
    const records = helloRecords({
      legacyVersion: 0x0303,
      cipherSuites: [0x0a0a, 0x1301, 0xc02f],
      extensions: [
        serverNameExtension("WWW.Example.com"),
        alpnExtension(["h2", "http/1.1"]),
        supportedVersionsExtension([0x3a3a, 0x0304, 0x0303]),
        [35, Buffer.from("ticket")],
        [45, u8Vector(Buffer.from([1]))],
        [0x1a1a, Buffer.alloc(0)],
        [41, Buffer.from([0, 0])],
      ],
    });
    const { hello, length } = expectHello(parseClientHello(records));
    assert.equal(length, records.length);
    assert.deepEqual(hello, {
      legacyVersion: 0x0303,
      recordVersion: 0x0301,
      serverName: "www.example.com",
      alpn: ["h2", "http/1.1"],
      supportedVersions: [0x3a3a, 0x0304, 0x0303],
      cipherSuites: [0x0a0a, 0x1301, 0xc02f],
      hasSessionTicket: true,
      hasPreSharedKey: true,
      pskModes: [1],
      extensions: [0, 16, 43, 35, 45, 0x1a1a, 41],
    });
  });

  test("a hello without an extension block (TLS 1.2 and older)", () => {
    const { hello } = expectHello(
      parseClientHello(helloRecords({ extensions: null, legacyVersion: 0x0301 })),
    );
    assert.equal(hello.legacyVersion, 0x0301);
    assert.deepEqual(hello.extensions, []);
    assert.equal(hello.serverName, undefined);
  });

  test("an empty session_ticket extension only announces support", () => {
    const { hello } = expectHello(parseClientHello(helloRecords({ extensions: [[35, Buffer.alloc(0)]] })));
    assert.equal(hello.hasSessionTicket, false);
    assert.deepEqual(hello.extensions, [35]);
  });

  test("bytes after the hello's records are not counted in length", () => {
    const records = helloRecords();
    const changeCipherSpec = Buffer.from([20, 3, 3, 0, 1, 1]);
    const { length } = expectHello(parseClientHello(Buffer.concat([records, changeCipherSpec])));
    assert.equal(length, records.length);
  });

  test("server_name entries of unknown name types are skipped", () => {
    const unknownType = u16Vector(Buffer.concat([Buffer.from([7]), u16Vector(Buffer.from("opaque"))]));
    const { hello } = expectHello(parseClientHello(helloRecords({ extensions: [[0, unknownType]] })));
    assert.equal(hello.serverName, undefined);
  });

  test("SNI: one trailing dot is dropped, underscores and digits are allowed", () => {
    for (const [sent, expected] of [
      ["example.com.", "example.com"],
      ["a_b.example", "a_b.example"],
      ["xn--bcher-kva.example", "xn--bcher-kva.example"],
      ["1.2.3.example", "1.2.3.example"],
      ["localhost", "localhost"],
      [`${"a".repeat(63)}.com`, `${"a".repeat(63)}.com`],
      [`${"abcdefghi.".repeat(25)}abc`, `${"abcdefghi.".repeat(25)}abc`], // 253 bytes
    ]) {
      const { hello } = expectHello(
        parseClientHello(helloRecords({ extensions: [serverNameExtension(sent!)] })),
      );
      assert.equal(hello.serverName, expected);
    }
  });
});

describe("record layer errors", () => {
  test("non-handshake content type", () => {
    expectError(parseClientHello(Buffer.from([23, 3, 3, 0, 5])), ClientHelloErrorCode.NOT_HANDSHAKE);
    expectError(parseClientHello(Buffer.from("GET / HTTP/1.1\r\n")), ClientHelloErrorCode.NOT_HANDSHAKE);
  });

  test("SSLv2-compatible hello", () => {
    const sslv2 = Buffer.from([0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15]);
    expectError(parseClientHello(sslv2), ClientHelloErrorCode.SSL2_HELLO);
    expectError(parseClientHello(sslv2.subarray(0, 1)), ClientHelloErrorCode.SSL2_HELLO);
  });

  test("bad record versions", () => {
    expectError(parseClientHello(Buffer.from([22, 2])), ClientHelloErrorCode.BAD_RECORD_VERSION);
    expectError(parseClientHello(Buffer.from([22, 3, 5])), ClientHelloErrorCode.BAD_RECORD_VERSION);
    const records = frameRecords(handshakeMessage(helloBody()), 40);
    records[records.indexOf(22, 1) + 2] = 9; // the second record's minor version
    expectError(parseClientHello(records), ClientHelloErrorCode.BAD_RECORD_VERSION);
  });

  test("record longer than 2^14", () => {
    expectError(parseClientHello(Buffer.from([22, 3, 1, 0x40, 0x01])), ClientHelloErrorCode.RECORD_TOO_LONG);
  });

  test("zero-length handshake record", () => {
    expectError(parseClientHello(Buffer.from([22, 3, 1, 0, 0])), ClientHelloErrorCode.EMPTY_RECORD);
  });

  test("another content type between the hello's records", () => {
    const records = frameRecords(handshakeMessage(helloBody()), 40);
    const firstEnd = 5 + 40;
    const alert = Buffer.from([21, 3, 3, 0, 2, 2, 40]);
    const interleaved = Buffer.concat([records.subarray(0, firstEnd), alert, records.subarray(firstEnd)]);
    expectError(parseClientHello(interleaved), ClientHelloErrorCode.NOT_HANDSHAKE);
  });

  test("a handshake message other than ClientHello, known from its first byte", () => {
    const serverHello = frameRecords(handshakeMessage(helloBody(), 2));
    expectError(parseClientHello(serverHello.subarray(0, 6)), ClientHelloErrorCode.NOT_CLIENT_HELLO);
  });

  test("more handshake bytes after the hello in its last record", () => {
    const handshake = Buffer.concat([handshakeMessage(helloBody()), Buffer.from([11, 0, 0, 0])]);
    expectError(parseClientHello(frameRecords(handshake)), ClientHelloErrorCode.TRAILING_DATA);
  });

  test("maxBytes bounds the records, reported as soon as the lengths tell", () => {
    const records = helloRecords();
    expectHello(parseClientHello(records, { maxBytes: records.length }));
    expectError(
      parseClientHello(records, { maxBytes: records.length - 1 }),
      ClientHelloErrorCode.HELLO_TOO_LARGE,
    );
    // Known from the record header alone.
    expectError(
      parseClientHello(records.subarray(0, 5), { maxBytes: 50 }),
      ClientHelloErrorCode.HELLO_TOO_LARGE,
    );
    // Known from the handshake header when the records are small.
    const small = frameRecords(handshakeMessage(helloBody()), 4);
    expectError(
      parseClientHello(small.subarray(0, 9), { maxBytes: 60 }),
      ClientHelloErrorCode.HELLO_TOO_LARGE,
    );
    // A NaN budget falls back to the default instead of disabling the bound.
    expectError(parseClientHello(Buffer.from([22, 3, 1, 0x40, 0])), ClientHelloErrorCode.HELLO_TOO_LARGE);
    expectError(
      parseClientHello(Buffer.from([22, 3, 1, 0x40, 0]), { maxBytes: Number.NaN }),
      ClientHelloErrorCode.HELLO_TOO_LARGE,
    );
    // A huge declared hello is refused before it arrives.
    const huge = Buffer.from([22, 3, 1, 0, 4, 1, 0xff, 0xff, 0xff]);
    expectError(parseClientHello(huge), ClientHelloErrorCode.HELLO_TOO_LARGE);
  });
});

describe("ClientHello body errors", () => {
  const truncatedBodies: [string, Buffer][] = [
    ["empty body", Buffer.alloc(0)],
    ["no random", Buffer.from([3, 3, 1, 2])],
  ];
  for (const [name, body] of truncatedBodies) {
    test(name, () => {
      expectError(
        parseClientHello(frameRecords(handshakeMessage(body))),
        ClientHelloErrorCode.MALFORMED_HELLO,
      );
    });
  }

  test("session id longer than 32", () => {
    const records = helloRecords({ sessionId: Buffer.alloc(33) });
    expectError(parseClientHello(records), ClientHelloErrorCode.MALFORMED_HELLO);
  });

  test("empty or odd cipher_suites", () => {
    expectError(parseClientHello(helloRecords({ cipherSuites: [] })), ClientHelloErrorCode.MALFORMED_HELLO);
    const body = helloBody({ extensions: null, cipherSuites: [0x1301] });
    body.writeUInt16BE(3, 2 + 32 + 33); // cipher_suites length 3 instead of 2
    expectError(parseClientHello(frameRecords(handshakeMessage(body))), ClientHelloErrorCode.MALFORMED_HELLO);
  });

  test("empty compression methods", () => {
    expectError(parseClientHello(helloRecords({ compression: [] })), ClientHelloErrorCode.MALFORMED_HELLO);
  });

  test("bytes after the extension block", () => {
    const body = Buffer.concat([helloBody(), Buffer.from([0])]);
    expectError(
      parseClientHello(frameRecords(handshakeMessage(body))),
      ClientHelloErrorCode.MALFORMED_EXTENSION,
    );
  });
});

describe("extension errors", () => {
  const cases: [string, ExtensionSpec[], ClientHelloErrorCode][] = [
    [
      "duplicate extension",
      [
        [5, Buffer.alloc(0)],
        [5, Buffer.alloc(0)],
      ],
      ClientHelloErrorCode.DUPLICATE_EXTENSION,
    ],
    [
      "duplicate among many extensions",
      [
        ...Array.from({ length: 40 }, (_, i): ExtensionSpec => [1000 + i, Buffer.alloc(0)]),
        [1007, Buffer.alloc(0)],
      ],
      ClientHelloErrorCode.DUPLICATE_EXTENSION,
    ],
    [
      "pre_shared_key not last",
      [
        [41, Buffer.alloc(2)],
        [5, Buffer.alloc(0)],
      ],
      ClientHelloErrorCode.MALFORMED_EXTENSION,
    ],
    ["empty server_name", [[0, Buffer.alloc(0)]], ClientHelloErrorCode.MALFORMED_EXTENSION],
    ["empty server_name list", [[0, u16Vector(Buffer.alloc(0))]], ClientHelloErrorCode.MALFORMED_EXTENSION],
    [
      "two host names",
      [
        [
          0,
          u16Vector(
            Buffer.concat([
              Buffer.from([0]),
              u16Vector(Buffer.from("a.example")),
              Buffer.from([0]),
              u16Vector(Buffer.from("b.example")),
            ]),
          ),
        ],
      ],
      ClientHelloErrorCode.MALFORMED_EXTENSION,
    ],
    [
      "host name past its list",
      [[0, u16Vector(Buffer.from([0, 0, 9, 0x61]))]],
      ClientHelloErrorCode.MALFORMED_EXTENSION,
    ],
    ["empty ALPN list", [[16, u16Vector(Buffer.alloc(0))]], ClientHelloErrorCode.MALFORMED_EXTENSION],
    ["empty ALPN name", [alpnExtension(["h2", ""])], ClientHelloErrorCode.MALFORMED_EXTENSION],
    [
      "ALPN list shorter than the extension",
      [[16, Buffer.concat([u16Vector(u8Vector(Buffer.from("h2"))), Buffer.from([0])])]],
      ClientHelloErrorCode.MALFORMED_EXTENSION,
    ],
    [
      "odd supported_versions",
      [[43, u8Vector(Buffer.from([3, 4, 3]))]],
      ClientHelloErrorCode.MALFORMED_EXTENSION,
    ],
    ["empty supported_versions", [[43, u8Vector(Buffer.alloc(0))]], ClientHelloErrorCode.MALFORMED_EXTENSION],
    [
      "empty psk_key_exchange_modes",
      [[45, u8Vector(Buffer.alloc(0))]],
      ClientHelloErrorCode.MALFORMED_EXTENSION,
    ],
    ["a name that only looks numeric", [serverNameExtension("example.123")], ClientHelloErrorCode.BAD_SNI],
    ["empty host name", [serverNameExtension("")], ClientHelloErrorCode.BAD_SNI],
    ["only a dot", [serverNameExtension(".")], ClientHelloErrorCode.BAD_SNI],
    ["two trailing dots", [serverNameExtension("example.com..")], ClientHelloErrorCode.BAD_SNI],
    ["empty label", [serverNameExtension("a..example")], ClientHelloErrorCode.BAD_SNI],
    ["label of 64 bytes", [serverNameExtension(`${"a".repeat(64)}.com`)], ClientHelloErrorCode.BAD_SNI],
    [
      "name of 254 bytes",
      [serverNameExtension(`${"abcdefghi.".repeat(25)}abcd`)],
      ClientHelloErrorCode.BAD_SNI,
    ],
    ["leading hyphen", [serverNameExtension("-a.example")], ClientHelloErrorCode.BAD_SNI],
    ["trailing hyphen", [serverNameExtension("a-.example")], ClientHelloErrorCode.BAD_SNI],
    ["space", [serverNameExtension("a b.example")], ClientHelloErrorCode.BAD_SNI],
    [
      "NUL byte",
      [serverNameExtension(Buffer.from("evil.example\0.good.example", "latin1"))],
      ClientHelloErrorCode.BAD_SNI,
    ],
    [
      "UTF-8 bytes",
      [serverNameExtension(Buffer.from("bücher.example", "utf8"))],
      ClientHelloErrorCode.BAD_SNI,
    ],
  ];
  for (const [name, extensions, code] of cases) {
    test(name, () => {
      expectError(parseClientHello(helloRecords({ extensions })), code);
    });
  }

  test("extension header running past the block", () => {
    const body = Buffer.concat([helloBody({ extensions: null }), u16Vector(Buffer.from([0, 5, 0, 9, 1]))]);
    expectError(
      parseClientHello(frameRecords(handshakeMessage(body))),
      ClientHelloErrorCode.MALFORMED_EXTENSION,
    );
  });
});

test("an IP literal in server_name (forbidden, yet sent by real clients) reads as no SNI", () => {
  for (const literal of ["192.0.2.1", "2001:db8::1"]) {
    const { hello } = expectHello(
      parseClientHello(helloRecords({ extensions: [serverNameExtension(literal)] })),
    );
    assert.equal(hello.serverName, undefined, literal);
  }
});
