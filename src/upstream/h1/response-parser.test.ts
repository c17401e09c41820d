// ResponseParser on its own: bytes in, sink events out. Every framing of RFC 9112 §6.3, the same result
// however the bytes are split across reads, and every malformed input a BAD_RESPONSE.
import assert from "node:assert/strict";
import type { IncomingHttpHeaders } from "node:http";
import { test } from "node:test";
import { HttpError } from "../../http/errors.ts";
import { MAX_RESPONSE_HEAD, ResponseParser, type ResponseSink } from "./response-parser.ts";

/** What the sink heard, in order, with the body joined. */
class RecordingSink implements ResponseSink {
  events: string[] = [];
  status = 0;
  reason = "";
  headers: IncomingHttpHeaders | undefined;
  body: Buffer[] = [];
  trailers: IncomingHttpHeaders | undefined;

  onHead(status: number, reason: string, headers: IncomingHttpHeaders): void {
    this.events.push("head");
    this.status = status;
    this.reason = reason;
    this.headers = headers;
  }

  onBody(chunk: Buffer): void {
    this.events.push("body");
    // Views of the caller's buffers: copy, so a later read cannot change what was recorded.
    this.body.push(Buffer.from(chunk));
  }

  onEnd(trailers: IncomingHttpHeaders): void {
    this.events.push("end");
    this.trailers = trailers;
  }

  get bodyText(): string {
    return Buffer.concat(this.body).toString("latin1");
  }

  get ended(): boolean {
    return this.events.includes("end");
  }
}

interface Parsed {
  sink: RecordingSink;
  parser: ResponseParser;
  /** What execute() returned, summed over every read. */
  left: number;
}

/** Parses `wire` as one response, fed in reads of `step` bytes (the whole at once without one). */
function parse(wire: string, opts: { noBody?: boolean; step?: number } = {}): Parsed {
  const sink = new RecordingSink();
  const parser = new ResponseParser(sink);
  parser.expect(opts.noBody ?? false);
  const bytes = Buffer.from(wire, "latin1");
  const step = opts.step ?? bytes.length;
  let left = 0;
  for (let at = 0; at < bytes.length; at += step) {
    left += parser.execute(bytes.subarray(at, Math.min(at + step, bytes.length)));
  }
  return { sink, parser, left };
}

/** The same wire split in two at every possible place gives what one read gives. */
function assertSplitsAgree(wire: string, noBody = false): Parsed {
  const whole = parse(wire, { noBody });
  const bytes = Buffer.from(wire, "latin1");
  for (let cut = 1; cut < bytes.length; cut++) {
    const sink = new RecordingSink();
    const parser = new ResponseParser(sink);
    parser.expect(noBody);
    const left = parser.execute(bytes.subarray(0, cut)) + parser.execute(bytes.subarray(cut));
    const where = `split at byte ${cut}`;
    assert.equal(sink.status, whole.sink.status, where);
    assert.deepEqual(sink.headers, whole.sink.headers, where);
    assert.equal(sink.bodyText, whole.sink.bodyText, where);
    assert.deepEqual(sink.trailers, whole.sink.trailers, where);
    assert.equal(sink.ended, whole.sink.ended, where);
    assert.equal(left, whole.left, where);
  }
  const bytewise = parse(wire, { noBody, step: 1 });
  assert.equal(bytewise.sink.status, whole.sink.status, "one byte at a time");
  assert.deepEqual(bytewise.sink.headers, whole.sink.headers, "one byte at a time");
  assert.equal(bytewise.sink.bodyText, whole.sink.bodyText, "one byte at a time");
  assert.deepEqual(bytewise.sink.trailers, whole.sink.trailers, "one byte at a time");
  assert.equal(bytewise.sink.ended, whole.sink.ended, "one byte at a time");
  return whole;
}

function assertBadResponse(wire: string, what: string, opts: { step?: number } = {}): void {
  assert.throws(
    () => parse(wire, opts),
    (err: unknown) => err instanceof HttpError && err.code === "BAD_RESPONSE",
    what,
  );
}

test("a head split at every byte boundary parses the same: status, reason, lower-cased fields", () => {
  const wire = "HTTP/1.1 201 Created Here\r\nX-One: a\r\nContent-Length: 0\r\nServer:  spaced  \r\n\r\n";
  const { sink, parser, left } = assertSplitsAgree(wire);
  assert.deepEqual(sink.events, ["head", "end"]);
  assert.equal(sink.status, 201);
  assert.equal(sink.reason, "Created Here");
  assert.deepEqual(sink.headers, { "x-one": "a", "content-length": "0", server: "spaced" });
  assert.equal(left, 0);
  assert.equal(parser.closeAfter, false);
  assert.equal(parser.closeDelimited, false);
  assert.equal(parser.keepAliveMs, -1);
  assert.equal(parser.idle, true);
});

test("a status line without a reason phrase is accepted with an empty reason", () => {
  const { sink } = parse("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n");
  assert.equal(sink.status, 200);
  assert.equal(sink.reason, "");
  assert.equal(sink.ended, true);
});

test("a Content-Length body is handed on whole, split anywhere, and then the response ends", () => {
  const wire = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world";
  const { sink, parser } = assertSplitsAgree(wire);
  assert.equal(sink.bodyText, "hello world");
  assert.equal(sink.events.at(-1), "end");
  assert.deepEqual(sink.trailers, {});
  assert.equal(parser.closeDelimited, false);
});

test("a Content-Length body not yet complete has not ended, and a close then cuts it short", () => {
  const { sink, parser } = parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf");
  assert.equal(sink.bodyText, "half");
  assert.equal(sink.ended, false);
  assert.equal(parser.idle, false);
  assert.equal(parser.finishOnClose(), false, "a close before the length is reached is not a complete body");
  assert.equal(sink.ended, false);
});

test("a chunked body with chunk extensions and trailers parses the same split at every byte", () => {
  const wire =
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
    "5;name=value\r\nhello\r\n" +
    '1 ; quoted="a b"\r\n \r\n' +
    "A\r\n0123456789\r\n" +
    "0;last\r\nX-Checksum: abc\r\nX-Multi: 1\r\nx-multi: 2\r\n\r\n";
  const { sink, left, parser } = assertSplitsAgree(wire);
  assert.equal(sink.bodyText, "hello 0123456789");
  assert.deepEqual(sink.trailers, { "x-checksum": "abc", "x-multi": ["1", "2"] });
  assert.equal(sink.events.at(-1), "end");
  assert.equal(left, 0);
  assert.equal(parser.closeDelimited, false);
  assert.equal(parser.closeAfter, false);
});

test("a chunked body without trailers ends at the last chunk's empty line; hex sizes in either case", () => {
  const body = "x".repeat(0x1f);
  const wire = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1f\r\n${body}\r\n1F\r\n${body}\r\n0\r\n\r\n`;
  const { sink } = assertSplitsAgree(wire);
  assert.equal(sink.bodyText, body + body);
  assert.deepEqual(sink.trailers, {});
});

test("a close-delimited body runs until finishOnClose(), which ends it; the connection cannot be reused", () => {
  const sink = new RecordingSink();
  const parser = new ResponseParser(sink);
  parser.expect(false);
  assert.equal(parser.execute(Buffer.from("HTTP/1.1 200 OK\r\nX: y\r\n\r\nfirst ")), 0);
  assert.equal(parser.execute(Buffer.from("second")), 0);
  assert.equal(sink.ended, false);
  assert.equal(parser.closeDelimited, true);
  assert.equal(parser.finishOnClose(), true);
  assert.equal(sink.bodyText, "first second");
  assert.deepEqual(sink.events.at(-1), "end");
  assert.equal(parser.idle, true);
});

test("a Transfer-Encoding that does not end in chunked makes the body close-delimited", () => {
  const { sink, parser } = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nraw bytes");
  assert.equal(parser.closeDelimited, true);
  assert.equal(sink.bodyText, "raw bytes");
  assert.equal(sink.ended, false);
});

test("HEAD, 204 and 304 have no body even with Content-Length; what follows is returned as left over", () => {
  const next = "HTTP/1.1 200 OK\r\n\r\n";
  const head = assertSplitsAgree(`HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n`, true);
  assert.deepEqual(head.sink.events, ["head", "end"]);
  const headLeft = parse(`HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n${next}`, { noBody: true });
  assert.equal(headLeft.left, next.length, "HEAD: bytes after the head are not its body");
  for (const status of [204, 304]) {
    const r = parse(`HTTP/1.1 ${status} X\r\nContent-Length: 42\r\n\r\n${next}`);
    assert.deepEqual(r.sink.events, ["head", "end"], `${status}`);
    assert.equal(r.sink.status, status);
    assert.equal(r.left, next.length, `${status}: bytes after the head are not its body`);
  }
  const chunkedHead = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", { noBody: true });
  assert.deepEqual(chunkedHead.sink.events, ["head", "end"], "HEAD with chunked framing: no body either");
});

test("100 and 103 are skipped and the final head in the same buffer follows", () => {
  const wire =
    "HTTP/1.1 100 Continue\r\n\r\n" +
    "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n" +
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  const { sink } = assertSplitsAgree(wire);
  assert.deepEqual(sink.events, ["head", "body", "end"]);
  assert.equal(sink.status, 200);
  assert.deepEqual(sink.headers, { "content-length": "2" }, "the 103's fields are not the final head's");
  assert.equal(sink.bodyText, "ok");
});

test("101 Switching Protocols is a BAD_RESPONSE: weir never asks for an upgrade here", () => {
  assertBadResponse("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", "101");
});

test("bytes past the end of the response are returned by execute()", () => {
  const extra = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  const cl = parse(`HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc${extra}`);
  assert.equal(cl.sink.bodyText, "abc");
  assert.equal(cl.left, extra.length);
  assert.deepEqual(cl.sink.events, ["head", "body", "end"], "the surplus is not parsed as a response");
  const chunked = parse(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\nXYZ`);
  assert.equal(chunked.sink.bodyText, "a");
  assert.equal(chunked.left, 3);
  const trailers = parse(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: 1\r\n\r\nXY`);
  assert.deepEqual(trailers.sink.trailers, { t: "1" });
  assert.equal(trailers.left, 2);
  // A second read after the end: all of it is surplus.
  const sink = new RecordingSink();
  const parser = new ResponseParser(sink);
  parser.expect(false);
  assert.equal(parser.execute(Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz")), 0);
  assert.equal(parser.execute(Buffer.from("more")), 4);
});

test("Connection: close and HTTP/1.0 set closeAfter; HTTP/1.0 with keep-alive does not", () => {
  assert.equal(
    parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").parser.closeAfter,
    true,
  );
  assert.equal(
    parse("HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n").parser.closeAfter,
    true,
  );
  assert.equal(parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").parser.closeAfter, true);
  const keep = parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n");
  assert.equal(keep.parser.closeAfter, false);
  assert.equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").parser.closeAfter, false);
});

test("Keep-Alive: timeout=5 gives keepAliveMs 5000; expect() resets it", () => {
  const { parser } = parse("HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5, max=100\r\nContent-Length: 0\r\n\r\n");
  assert.equal(parser.keepAliveMs, 5000);
  parser.expect(false);
  assert.equal(parser.keepAliveMs, -1);
  assert.equal(parser.closeAfter, false);
});

test("Transfer-Encoding with Content-Length: chunked frames the body, the length is not passed on, the connection closes after", () => {
  const wire =
    "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
  const { sink, parser, left } = assertSplitsAgree(wire);
  assert.equal(sink.bodyText, "abc");
  assert.equal(sink.headers?.["content-length"], undefined, "a length that does not describe the body");
  assert.equal(sink.ended, true);
  assert.equal(left, 0);
  assert.equal(
    parser.closeAfter,
    true,
    "RFC 9112 §6.3: such a response must not leave the connection reusable",
  );
});

test("repeated fields become arrays in order; equal Content-Length values are accepted", () => {
  const { sink } = parse(
    "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nSET-COOKIE: c=3\r\nVia: x\r\nVia: y\r\n" +
      "Content-Length: 2\r\nContent-Length: 2\r\n\r\nok",
  );
  assert.deepEqual(sink.headers?.["set-cookie"], ["a=1", "b=2", "c=3"]);
  assert.deepEqual(sink.headers?.via, ["x", "y"]);
  assert.equal(sink.bodyText, "ok");
  assert.equal(sink.ended, true);
});

test("stop() forgets the response: nothing more reaches the sink", () => {
  const sink = new RecordingSink();
  const parser = new ResponseParser(sink);
  parser.expect(false);
  parser.execute(Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab"));
  parser.stop();
  parser.execute(Buffer.from("cdefghij"));
  assert.equal(sink.bodyText, "ab");
  assert.equal(sink.ended, false);
  assert.equal(parser.idle, true);
});

const malformed: [string, string][] = [
  ["bare LF ending a field line", "HTTP/1.1 200 OK\r\nX: a\nY: b\r\nContent-Length: 0\r\n\r\n"],
  ["bare LF ending the status line", "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n"],
  ["bare CR inside a field value", "HTTP/1.1 200 OK\r\nX: a\rb\r\nContent-Length: 0\r\n\r\n"],
  ["bare CR in the status line", "HTTP/1.1 200 O\rK\r\nContent-Length: 0\r\n\r\n"],
  ["obs-fold (a continuation line)", "HTTP/1.1 200 OK\r\nX: a\r\n  continued\r\nContent-Length: 0\r\n\r\n"],
  ["obs-fold with a tab", "HTTP/1.1 200 OK\r\nX: a\r\n\tcontinued: b\r\nContent-Length: 0\r\n\r\n"],
  ["space before the colon of a name", "HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello"],
  ["a field line without a colon", "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n"],
  ["an empty field name", "HTTP/1.1 200 OK\r\n: value\r\n\r\n"],
  ["a non-token character in a name", "HTTP/1.1 200 OK\r\nX(y): 1\r\n\r\n"],
  ["NUL in a value", "HTTP/1.1 200 OK\r\nX: a\0b\r\nContent-Length: 0\r\n\r\n"],
  ["a control character in a value", "HTTP/1.1 200 OK\r\nX: a\x01b\r\nContent-Length: 0\r\n\r\n"],
  ["DEL in a value", "HTTP/1.1 200 OK\r\nX: a\x7fb\r\nContent-Length: 0\r\n\r\n"],
  [
    "two different Content-Length values",
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
  ],
  ["a Content-Length list", "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello"],
  ["a non-digit Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\nhello"],
  ["a negative Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"],
  ["a hex Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 0x5\r\n\r\nhello"],
  ["a Content-Length past 2^53", "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n"],
  ["an unknown HTTP version", "HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n"],
  ["a two-digit status", "HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n"],
  ["not HTTP at all", "SSH-2.0-OpenSSH_9.6\r\n\r\n"],
  ["a non-hex chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"],
  ["an empty chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\nhello\r\n0\r\n\r\n"],
  ["a negative chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n"],
  [
    "a chunk size line ended by a bare LF",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n",
  ],
  [
    "a chunk size too large",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nx\r\n",
  ],
  [
    "chunk data not followed by CRLF",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhelo\r\n0\r\n\r\n",
  ],
  [
    "chunk data followed by a bare LF",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\n0\r\n\r\n",
  ],
  [
    "a control character in a chunk extension",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;a=\x01\r\nhel\r\n0\r\n\r\n",
  ],
  ["a trailer without a colon", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbroken\r\n\r\n"],
  [
    "a bare LF in the trailers",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: 1\nB: 2\r\n\r\n",
  ],
  ["NUL in a trailer value", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: x\0y\r\n\r\n"],
];

for (const [what, wire] of malformed) {
  test(`malformed: ${what} is a BAD_RESPONSE, in one read or byte by byte`, () => {
    assertBadResponse(wire, what);
    assertBadResponse(wire, `${what}, byte by byte`, { step: 1 });
  });
}

// RFC 9112 §7.1: chunk = chunk-size [ chunk-ext ] CRLF; a bare CR is allowed nowhere in the line.
test("malformed: a bare CR in a chunk size line without extensions is a BAD_RESPONSE", () => {
  const wire = (line: string) =>
    `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${line}hello\r\n0\r\n\r\n`;
  assertBadResponse(wire("5\r\r\n"), "5 CR CR LF");
  assertBadResponse(wire("5\r \r\n"), "5 CR SP CR LF");
});

// RFC 9110 §5.5: OWS around a value is SP or HTAB only; any other control character makes it invalid.
test("a control character at either end of a value is a BAD_RESPONSE; SP and HTAB are trimmed, obs-text kept", () => {
  assertBadResponse("HTTP/1.1 200 OK\r\nX: \x0bfoo\r\nContent-Length: 0\r\n\r\n", "leading VT");
  assertBadResponse("HTTP/1.1 200 OK\r\nContent-Length: 5\x0c\r\n\r\nhello", "trailing FF in Content-Length");
  assertBadResponse(
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: x\x0b\r\n\r\n",
    "trailing VT in a trailer",
  );
  const ok = parse("HTTP/1.1 200 OK\r\nX: \t \xa0foo\xa0 \t\r\nContent-Length: 0\r\n\r\n");
  assert.equal(ok.sink.headers?.x, "\xa0foo\xa0", "OWS goes, obs-text at the ends of a value stays");
  const trailer = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT:\t\xa0x \r\n\r\n");
  assert.deepEqual(trailer.sink.trailers, { t: "\xa0x" });
});

test("a head larger than MAX_RESPONSE_HEAD is a BAD_RESPONSE, whole or arriving in pieces", () => {
  const filler = `X-Fill: ${"a".repeat(1000)}\r\n`;
  const big = `HTTP/1.1 200 OK\r\n${filler.repeat(Math.ceil(MAX_RESPONSE_HEAD / filler.length) + 1)}`;
  assertBadResponse(`${big}Content-Length: 0\r\n\r\n`, "complete head over the limit");
  assertBadResponse(big, "unterminated head over the limit");
  assertBadResponse(big, "unterminated head over the limit in 4 KiB reads", { step: 4096 });
  // Just under the limit is fine.
  const under = `HTTP/1.1 200 OK\r\nX-Fill: ${"b".repeat(MAX_RESPONSE_HEAD - 100)}\r\nContent-Length: 0\r\n\r\n`;
  const { sink } = parse(under, { step: 4096 });
  assert.equal(sink.status, 200);
  assert.equal(sink.ended, true);
});

test("chunk-size lines and trailer sections over 4 KiB are refused, also when they arrive in one read", () => {
  const head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  assertBadResponse(`${head}5;e=${"e".repeat(5000)}\r\nhello\r\n0\r\n\r\n`, "long chunk-size line, one read");
  assertBadResponse(`${head}0\r\nX: ${"t".repeat(5000)}\r\n\r\n`, "long trailer section, one read");
});
