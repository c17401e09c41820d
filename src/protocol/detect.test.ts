import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { type DetectedProtocol, detectProtocol, MAX_DETECT_BYTES, MAX_METHOD_LENGTH } from "./detect.ts";

const PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

function bytes(input: string | number[]): Buffer {
  return typeof input === "string" ? Buffer.from(input, "latin1") : Buffer.from(input);
}

describe("detectProtocol table", () => {
  const cases: [string, string | number[], DetectedProtocol][] = [
    ["nothing yet", "", "incomplete"],
    ["TLS 1.0 record header", [0x16, 0x03, 0x01], "tls"],
    ["TLS 1.2 record header with more", [0x16, 0x03, 0x03, 0x00, 0x10, 0x01], "tls"],
    ["SSL 3.0 record header", [0x16, 0x03, 0x00], "tls"],
    ["TLS record header cut after type", [0x16], "incomplete"],
    ["TLS record header cut after major", [0x16, 0x03], "incomplete"],
    ["handshake with version 3.5", [0x16, 0x03, 0x05], "unknown"],
    ["handshake with major 2", [0x16, 0x02, 0x01], "unknown"],
    ["application data record", [0x17, 0x03, 0x03], "unknown"],
    ["SSLv2 hello", [0x80, 0x2e, 0x01], "unknown"],
    ["full HTTP/2 preface", PREFACE, "http2"],
    ["HTTP/2 preface and a SETTINGS frame", `${PREFACE}\x00\x00\x00\x04\x00`, "http2"],
    ["HTTP/2 preface cut at 1", "P", "incomplete"],
    ["HTTP/2 preface cut at 5", "PRI *", "incomplete"],
    ["HTTP/2 preface cut at 23", PREFACE.slice(0, 23), "incomplete"],
    ["PRI request line that is not the preface", "PRI * HTTP/1.1\r\n", "http1"],
    ["PRI method with an origin-form target", "PRI /x HTTP/1.1", "http1"],
    ["GET origin-form", "GET / HTTP/1.1\r\n", "http1"],
    ["GET decided at the target's first byte", "GET /", "http1"],
    ["GET absolute-form", "GET http://example.com/ HTTP/1.1", "http1"],
    ["CONNECT authority-form", "CONNECT host:443 HTTP/1.1", "http1"],
    ["CONNECT to an IPv6 literal", "CONNECT [::1]:443 HTTP/1.1", "http1"],
    ["CONNECT to an IPv4 address", "CONNECT 192.0.2.1:443 HTTP/1.1", "http1"],
    ["OPTIONS asterisk-form", "OPTIONS * HTTP/1.1", "http1"],
    ["extension method with tchars", "M-SEARCH * HTTP/1.1", "http1"],
    ["empty line before the request line", "\r\nGET / HTTP/1.1", "http1"],
    ["two empty lines before the request line", "\r\n\r\nPOST /", "http1"],
    ["bare LF before the request line", "\nGET /", "http1"],
    ["three empty lines", "\r\n\r\n\r\nGET /", "unknown"],
    ["only an empty line so far", "\r\n", "incomplete"],
    ["method so far", "GE", "incomplete"],
    ["method and SP so far", "GET ", "incomplete"],
    ["longest method waiting for SP", "A".repeat(MAX_METHOD_LENGTH), "incomplete"],
    ["longest method and a target", `${"A".repeat(MAX_METHOD_LENGTH)} /`, "http1"],
    ["method one byte too long", "A".repeat(MAX_METHOD_LENGTH + 1), "unknown"],
    ["SP first", " / HTTP/1.1", "unknown"],
    ["two SPs", "GET  /", "unknown"],
    ["tab instead of SP", "GET\t/", "unknown"],
    ["non-token byte in method", "GE(T /", "unknown"],
    ["CR right after the method", "PING\r\n", "unknown"],
    ["target starting with a quote", 'GET "x"', "unknown"],
    ["target starting with a control byte", "GET \x00", "unknown"],
    ["binary garbage", [0x00, 0x01, 0x02], "unknown"],
    ["high byte", [0xff], "unknown"],
    ["SSH banner fragment without SP", "SSH-2.0-OpenSSH_9.6\r\n", "unknown"],
  ];
  for (const [name, input, expected] of cases) {
    test(name, () => assert.equal(detectProtocol(bytes(input)), expected));
  }
});

// Bytes that reach every branch: TLS header bytes, the preface's bytes, token bytes, SP, CR, LF, others.
const interestingByte = fc.oneof(
  fc.constantFrom(0x16, 0x03, 0x01, 0x04, 0x05, 0x20, 0x0d, 0x0a, 0x2f, 0x2a, 0x5b, 0x00, 0xff),
  fc.constantFrom(...Buffer.from("PRI*HTTP/2.0SMGETCONNECTx:1-_~(", "latin1")),
  fc.integer({ min: 0, max: 255 }),
);
const interestingBytes = fc.oneof(
  fc.array(interestingByte, { maxLength: 40 }).map((a) => Buffer.from(a)),
  fc
    .tuple(fc.integer({ min: 0, max: 24 }), fc.array(interestingByte, { maxLength: 10 }))
    .map(([keep, tail]) => Buffer.concat([Buffer.from(PREFACE.slice(0, keep), "latin1"), Buffer.from(tail)])),
  fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
);

const tcharString = fc
  .array(fc.constantFrom(..."!#$%&'*+-.^_`|~09AZaz".split("")), {
    minLength: 1,
    maxLength: MAX_METHOD_LENGTH,
  })
  .map((chars) => chars.join(""));
const requestLine = fc
  .tuple(
    fc.constantFrom("", "\r\n", "\n", "\r\n\r\n"),
    fc.oneof(tcharString, fc.constantFrom("GET", "POST", "CONNECT", "OPTIONS", "PRI")),
    fc.constantFrom(
      "/",
      "*",
      "/index.html?q=1",
      "http://example.com/",
      "example.com:443",
      "[::1]:8080",
      "1.2.3.4:80",
    ),
    fc.constantFrom(" HTTP/1.1\r\n", " HTTP/1.0\r\nHost: x\r\n\r\n", " HTTP/2.0\r\n\r\nSM\r\n\r\n"),
  )
  .map(([lead, method, target, rest]) => Buffer.from(`${lead}${method} ${target}${rest}`, "latin1"));

describe("detectProtocol properties", () => {
  test("never throws and always answers one of the five values", () => {
    const answers = new Set(["tls", "http2", "http1", "unknown", "incomplete"]);
    fc.assert(
      fc.property(interestingBytes, (buf) => {
        assert.ok(answers.has(detectProtocol(buf)));
      }),
      { numRuns: 5000 },
    );
  });

  test("once decided, more bytes never change the answer; MAX_DETECT_BYTES always decides", () => {
    fc.assert(
      fc.property(fc.oneof(interestingBytes, requestLine), (buf) => {
        let decided: DetectedProtocol | undefined;
        for (let cut = 0; cut <= buf.length; cut++) {
          const answer = detectProtocol(buf.subarray(0, cut));
          if (decided !== undefined) assert.equal(answer, decided, `at ${cut} of ${buf.toString("hex")}`);
          else if (answer !== "incomplete") decided = answer;
          if (cut >= MAX_DETECT_BYTES) assert.notEqual(answer, "incomplete");
        }
      }),
      { numRuns: 3000 },
    );
  });

  test("every prefix of a request line is incomplete, http1 or (for the preface) http2, never unknown", () => {
    fc.assert(
      fc.property(requestLine, (line) => {
        for (let cut = 0; cut <= line.length; cut++) {
          const answer = detectProtocol(line.subarray(0, cut));
          assert.ok(["incomplete", "http1", "http2"].includes(answer), `${answer} at ${cut} of ${line}`);
          if (answer === "http2") assert.ok(line.subarray(0, 24).equals(Buffer.from(PREFACE)));
        }
        assert.notEqual(detectProtocol(line), "incomplete");
      }),
      { numRuns: 3000 },
    );
  });

  test("the preface followed by anything is http2", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 32 }), (tail) => {
        assert.equal(detectProtocol(Buffer.concat([Buffer.from(PREFACE), tail])), "http2");
      }),
    );
  });
});
