// RequestParser on its own: bytes in, sink events out. Every framing of RFC 9112 §6.3 gives the same result
// however the bytes are split across reads; pipelined requests stop at each request's end until next();
// and every input that could let weir and an upstream disagree about a request's end is an HttpError.
import assert from "node:assert/strict";
import { test } from "node:test";
import { HttpError } from "../errors.ts";
import { type RequestHead, RequestParser, type RequestSink } from "./request-parser.ts";

const MAX_HEAD = 16 * 1024;

/** What the sink heard, in order, with the body joined. */
class RecordingSink implements RequestSink {
  events: string[] = [];
  heads: RequestHead[] = [];
  body: Buffer[] = [];

  onHead(head: RequestHead): void {
    this.events.push("head");
    this.heads.push(head);
  }

  onBody(chunk: Buffer): void {
    this.events.push("body");
    // Views of the caller's buffers: copy, so a later read cannot change what was recorded.
    this.body.push(Buffer.from(chunk));
  }

  onEnd(): void {
    this.events.push("end");
  }

  get head(): RequestHead {
    const head = this.heads[0];
    assert.ok(head !== undefined, "a head was parsed");
    return head;
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
  parser: RequestParser;
  /** Bytes execute() did not take (after the first request's end). */
  left: number;
}

/** Parses `wire` as one request, fed in reads of `step` bytes (the whole at once without one). */
function parse(wire: string, opts: { step?: number; maxHead?: number } = {}): Parsed {
  const sink = new RecordingSink();
  const parser = new RequestParser(sink, opts.maxHead ?? MAX_HEAD);
  const bytes = Buffer.from(wire, "latin1");
  const step = opts.step ?? bytes.length;
  let left = 0;
  for (let at = 0; at < bytes.length; at += step) {
    const piece = bytes.subarray(at, Math.min(at + step, bytes.length));
    const stop = parser.execute(piece, 0);
    left += piece.length - stop;
  }
  return { sink, parser, left };
}

/** The same wire split in two at every place, and fed one byte at a time, gives what one read gives. */
function assertSplitsAgree(wire: string): Parsed {
  const whole = parse(wire);
  const bytes = Buffer.from(wire, "latin1");
  const check = (p: Parsed, where: string): void => {
    assert.deepEqual(p.sink.heads, whole.sink.heads, where);
    assert.equal(p.sink.bodyText, whole.sink.bodyText, where);
    assert.equal(p.sink.ended, whole.sink.ended, where);
    assert.equal(p.left, whole.left, where);
    assert.equal(p.parser.done, whole.parser.done, where);
  };
  for (let cut = 1; cut < bytes.length; cut++) {
    const sink = new RecordingSink();
    const parser = new RequestParser(sink, MAX_HEAD);
    const first = bytes.subarray(0, cut);
    const second = bytes.subarray(cut);
    let left = first.length - parser.execute(first, 0);
    // A read after the request's end is not taken at all.
    left += second.length - parser.execute(second, 0);
    check({ sink, parser, left }, `split at byte ${cut}`);
  }
  check(parse(wire, { step: 1 }), "one byte at a time");
  return whole;
}

function assertRefused(wire: string, what: string, code = "BAD_REQUEST", opts: { step?: number } = {}): void {
  assert.throws(
    () => parse(wire, opts),
    (err: unknown) => err instanceof HttpError && err.code === code,
    what,
  );
}

test("a GET without a body: head, then end, and the parser waits for next()", () => {
  const wire = "GET /a/b?c=d HTTP/1.1\r\nHost: a.test\r\nX-One:  spaced value \t\r\n\r\n";
  const { sink, parser, left } = assertSplitsAgree(wire);
  assert.deepEqual(sink.events, ["head", "end"]);
  assert.deepEqual(sink.head, {
    method: "GET",
    target: "/a/b?c=d",
    version: "1.1",
    rawHeaders: ["Host", "a.test", "X-One", "spaced value"],
    contentLength: -1,
    chunked: false,
    keepAlive: true,
    upgrade: undefined,
  });
  assert.equal(left, 0);
  assert.equal(parser.done, true);
  assert.equal(parser.inHead, false);
  assert.equal(parser.inBody, false);
});

test("every request-target form is kept as sent", () => {
  for (const target of ["/", "*", "http://a.test:8080/x?y", "db.internal:5432", "/%7Euser/a%20b"]) {
    const { sink } = parse(`OPTIONS ${target} HTTP/1.1\r\nHost: a\r\n\r\n`);
    assert.equal(sink.head.target, target);
    assert.equal(sink.head.method, "OPTIONS");
  }
});

test("Content-Length: the body is exactly that many bytes", () => {
  const wire = "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world";
  const { sink, parser, left } = assertSplitsAgree(wire);
  assert.equal(sink.head.contentLength, 11);
  assert.equal(sink.head.chunked, false);
  assert.equal(sink.bodyText, "hello world");
  assert.equal(sink.events[0], "head");
  assert.equal(sink.events.at(-1), "end");
  assert.equal(left, 0);
  assert.equal(parser.done, true);
});

test("Content-Length: 0 ends the request with the head", () => {
  const { sink, parser } = assertSplitsAgree("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
  assert.deepEqual(sink.events, ["head", "end"]);
  assert.equal(sink.head.contentLength, 0);
  assert.equal(parser.done, true);
});

test("inBody while a Content-Length body is arriving, done after its last byte", () => {
  const sink = new RecordingSink();
  const parser = new RequestParser(sink, MAX_HEAD);
  const head = Buffer.from("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nab");
  assert.equal(parser.execute(head, 0), head.length);
  assert.equal(parser.inBody, true);
  assert.equal(parser.done, false);
  assert.equal(sink.ended, false);
  const rest = Buffer.from("cd");
  assert.equal(parser.execute(rest, 0), 2);
  assert.equal(parser.inBody, false);
  assert.equal(parser.done, true);
  assert.equal(sink.bodyText, "abcd");
});

test("inHead once part of a head is buffered, not for leading empty lines alone", () => {
  const sink = new RecordingSink();
  const parser = new RequestParser(sink, MAX_HEAD);
  assert.equal(parser.inHead, false);
  parser.execute(Buffer.from("\r\n"), 0);
  assert.equal(parser.inHead, false);
  parser.execute(Buffer.from("GET / HT"), 0);
  assert.equal(parser.inHead, true);
  parser.execute(Buffer.from("TP/1.1\r\nHost: a\r\n\r\n"), 0);
  assert.equal(parser.inHead, false);
  assert.equal(parser.done, true);
});

test("chunked: sizes in either case, extensions ignored, trailers read and dropped", () => {
  const wire =
    "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" +
    "5;name=value;other\r\nhello\r\n" +
    '1A \t; q="quoted"\r\n' +
    "abcdefghijklmnopqrstuvwxyz\r\n" +
    "1a\r\nABCDEFGHIJKLMNOPQRSTUVWXYZ\r\n" +
    "0;last\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n";
  const { sink, parser, left } = assertSplitsAgree(wire);
  assert.equal(sink.head.chunked, true);
  assert.equal(sink.head.contentLength, -1);
  assert.equal(sink.bodyText, "helloabcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
  assert.equal(sink.events.at(-1), "end");
  assert.equal(left, 0);
  assert.equal(parser.done, true);
});

test("chunked without trailers, and an empty chunked body", () => {
  const one = assertSplitsAgree(
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
  );
  assert.equal(one.sink.bodyText, "abc");
  assert.equal(one.sink.ended, true);
  const empty = assertSplitsAgree(
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
  );
  assert.equal(empty.sink.bodyText, "");
  assert.deepEqual(empty.sink.events, ["head", "end"]);
});

test("Transfer-Encoding lists ending in chunked, over one or several lines, are chunked", () => {
  for (const te of ["gzip, chunked", "Chunked", "gzip\r\nTransfer-Encoding: chunked", "deflate,chunked "]) {
    const { sink } = parse(
      `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ${te}\r\n\r\n2\r\nok\r\n0\r\n\r\n`,
    );
    assert.equal(sink.head.chunked, true, te);
    assert.equal(sink.bodyText, "ok", te);
    assert.equal(sink.ended, true, te);
  }
});

test("pipelined requests in one buffer: execute stops at each request's end until next()", () => {
  const wire = Buffer.from(
    "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n" +
      "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc" +
      "POST /3 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n" +
      "GET /4 HTTP/1.1\r\nHost: a\r\n\r\n",
    "latin1",
  );
  const sink = new RecordingSink();
  const parser = new RequestParser(sink, MAX_HEAD);
  const stops: number[] = [];
  let at = 0;
  while (at < wire.length) {
    at = parser.execute(wire, at);
    stops.push(at);
    assert.equal(parser.done, true, `request ${stops.length} is complete`);
    // Without next(), nothing more is taken.
    assert.equal(parser.execute(wire, at), at);
    parser.next();
  }
  const text = wire.toString("latin1");
  assert.deepEqual(stops, [
    text.indexOf("POST /2"),
    text.indexOf("POST /3"),
    text.indexOf("GET /4"),
    wire.length,
  ]);
  assert.deepEqual(
    sink.heads.map((h) => h.target),
    ["/1", "/2", "/3", "/4"],
  );
  assert.deepEqual(sink.events, ["head", "end", "head", "body", "end", "head", "body", "end", "head", "end"]);
  assert.equal(sink.bodyText, "abcxy");
});

test("pipelined requests fed one byte at a time: each byte after a request's end is left for next()", () => {
  const wire = Buffer.from(
    "POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nab" + "GET /2 HTTP/1.1\r\nHost: a\r\n\r\n",
    "latin1",
  );
  const sink = new RecordingSink();
  const parser = new RequestParser(sink, MAX_HEAD);
  let taken = 0;
  for (let i = 0; i < wire.length; i++) {
    if (parser.done) parser.next();
    taken += parser.execute(wire.subarray(i, i + 1), 0);
  }
  assert.equal(taken, wire.length);
  assert.deepEqual(
    sink.heads.map((h) => h.target),
    ["/1", "/2"],
  );
  assert.equal(sink.bodyText, "ab");
});

test("empty lines before a request line are ignored (RFC 9112 §2.2), also after a body", () => {
  const { sink } = parse("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
  assert.equal(sink.head.target, "/");
  assert.deepEqual(sink.events, ["head", "end"]);
  // An empty line in a read of its own.
  const apart = new RecordingSink();
  const p = new RequestParser(apart, MAX_HEAD);
  assert.equal(p.execute(Buffer.from("\r\n"), 0), 2);
  p.execute(Buffer.from("GET /x HTTP/1.1\r\nHost: a\r\n\r\n"), 0);
  assert.equal(apart.head.target, "/x");
  const wire = Buffer.from(
    "POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n",
  );
  const two = new RecordingSink();
  const parser = new RequestParser(two, MAX_HEAD);
  const at = parser.execute(wire, 0);
  parser.next();
  assert.equal(parser.execute(wire, at), wire.length);
  assert.deepEqual(
    two.heads.map((h) => h.target),
    ["/1", "/2"],
  );
});

test("rawHeaders keep the client's spelling, order and repeats", () => {
  const { sink } = parse(
    "GET / HTTP/1.1\r\nhOsT: a\r\nX-B: 2\r\nx-a: 1\r\nX-B: 3\r\nACCEPT:\r\nCookie: a=1; b=2\r\n\r\n",
  );
  assert.deepEqual(sink.head.rawHeaders, [
    "hOsT",
    "a",
    "X-B",
    "2",
    "x-a",
    "1",
    "X-B",
    "3",
    "ACCEPT",
    "",
    "Cookie",
    "a=1; b=2",
  ]);
});

test("keepAlive: HTTP/1.1 unless close is listed; HTTP/1.0 only with keep-alive and no close", () => {
  const cases: [string, string | undefined, boolean][] = [
    ["1.1", undefined, true],
    ["1.1", "close", false],
    ["1.1", "Close", false],
    ["1.1", "CLOSE", false],
    ["1.1", "keep-alive", true],
    ["1.1", "x-private, close", false],
    ["1.1", "close,x-private", false],
    ["1.1", "x-closer", true],
    ["1.1", "closed", true],
    ["1.0", undefined, false],
    ["1.0", "keep-alive", true],
    ["1.0", "Keep-Alive", true],
    ["1.0", "x-private, keep-alive", true],
    ["1.0", "keep-alive, close", false],
    ["1.0", "keep-alived", false],
    ["1.0", "close", false],
  ];
  for (const [version, connection, expected] of cases) {
    const field = connection === undefined ? "" : `Connection: ${connection}\r\n`;
    const { sink } = parse(`GET / HTTP/${version}\r\nHost: a\r\n${field}\r\n`);
    assert.equal(sink.head.keepAlive, expected, `HTTP/${version} Connection: ${connection}`);
    assert.equal(sink.head.version, version);
  }
  // Connection over two field lines counts as one list.
  const split = parse("GET / HTTP/1.1\r\nConnection: x-a\r\nHost: a\r\nConnection: close\r\n\r\n");
  assert.equal(split.sink.head.keepAlive, false);
  const ka10 = parse("GET / HTTP/1.0\r\nConnection: x-a\r\nConnection: keep-alive\r\n\r\n");
  assert.equal(ka10.sink.head.keepAlive, true);
});

test("upgrade only when Connection lists upgrade", () => {
  const yes = parse(
    "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n",
  );
  assert.equal(yes.sink.head.upgrade, "websocket");
  const no = parse("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n");
  assert.equal(no.sink.head.upgrade, undefined);
  const other = parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nUpgrade: websocket\r\n\r\n");
  assert.equal(other.sink.head.upgrade, undefined);
  const none = parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n\r\n");
  assert.equal(none.sink.head.upgrade, undefined);
});

test("stop(): nothing after the head is taken (a tunnel's bytes)", () => {
  const sink = new RecordingSink();
  const parser = new RequestParser(sink, MAX_HEAD);
  const wire = Buffer.from("CONNECT db:5432 HTTP/1.1\r\nHost: db:5432\r\n\r\n\x16\x03\x01binary");
  const headEnd = wire.indexOf("\r\n\r\n") + 4;
  const at = parser.execute(wire, 0);
  assert.equal(at, headEnd);
  parser.stop();
  assert.equal(parser.execute(wire, at), at);
  assert.equal(parser.done, false);
  assert.equal(parser.inBody, false);
  assert.equal(parser.inHead, false);
  assert.equal(sink.head.method, "CONNECT");
});

test("stop() called from onHead: the body bytes after the head are left", () => {
  const parser: RequestParser = new RequestParser(
    {
      onHead: () => parser.stop(),
      onBody: () => assert.fail("no body after stop()"),
      onEnd: () => {},
    },
    MAX_HEAD,
  );
  const wire = Buffer.from(
    "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\nframes",
  );
  assert.equal(parser.execute(wire, 0), wire.length - "frames".length);
});

test("the same Content-Length repeated, on lines or in a list, is accepted", () => {
  for (const fields of [
    "Content-Length: 3\r\nContent-Length: 3",
    "Content-Length: 3, 3",
    "Content-Length: 3,3 , 3",
  ]) {
    const { sink } = parse(`POST / HTTP/1.1\r\nHost: a\r\n${fields}\r\n\r\nabc`);
    assert.equal(sink.head.contentLength, 3, fields);
    assert.equal(sink.bodyText, "abc", fields);
    assert.equal(sink.ended, true, fields);
  }
});

const refusals: [string, string][] = [
  ["a bare CR in a field value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n"],
  ["a bare CR ending a field line", "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\r\n\r\n"],
  ["a bare LF ending a field line", "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n"],
  ["a bare LF ending the request line", "GET / HTTP/1.1\nHost: a\r\n\r\n"],
  ["LF-only line ends throughout", "GET / HTTP/1.1\nHost: a\n\n"],
  ["obs-fold with a space", "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n  b\r\n\r\n"],
  ["obs-fold with a tab", "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n\tb\r\n\r\n"],
  ["a space before the colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n"],
  ["a tab before the colon", "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n"],
  ["a field name with a slash", "GET / HTTP/1.1\r\nHost: a\r\nX/Y: 1\r\n\r\n"],
  ["a field name with a non-ASCII byte", "GET / HTTP/1.1\r\nHost: a\r\nX\xe9: 1\r\n\r\n"],
  ["a field line without a colon", "GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n"],
  ["an empty field name", "GET / HTTP/1.1\r\nHost: a\r\n: value\r\n\r\n"],
  ["a NUL in a field value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n"],
  ["a DEL in a field value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x7fb\r\n\r\n"],
  ["an ESC in a field value", "GET / HTTP/1.1\r\nHost: a\r\nX: \x1b[31m\r\n\r\n"],
  ["a request line of one word", "HELLO\r\n\r\n"],
  ["a request line without a version", "GET /\r\nHost: a\r\n\r\n"],
  ["two spaces in the request line", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n"],
  ["a space in the target", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n"],
  ["a lower-case protocol name", "GET / http/1.1\r\nHost: a\r\n\r\n"],
  ["trailing space after the version", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n"],
  ["a method with a bad character", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n"],
  ["HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n"],
  ["HTTP/1.2", "GET / HTTP/1.2\r\nHost: a\r\n\r\n"],
  ["HTTP/0.9 style", "GET /\r\n\r\n"],
  [
    "differing Content-Length lines",
    "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
  ],
  ["a differing Content-Length list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 2\r\n\r\nab"],
  ["Content-Length +5", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello"],
  ["Content-Length 5x", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5x\r\n\r\nhello"],
  ["Content-Length -1", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"],
  ["Content-Length 0x5", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\nhello"],
  ["an empty Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n"],
  ["an empty Content-Length list item", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5,\r\n\r\nhello"],
  [
    "a Content-Length past 2^53",
    "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n",
  ],
  [
    "Content-Length with Transfer-Encoding",
    "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
  ],
  [
    "Transfer-Encoding before Content-Length",
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
  ],
  ["Transfer-Encoding on HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"],
  [
    "Transfer-Encoding ending in gzip",
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
  ],
  ["Transfer-Encoding identity", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n"],
  [
    "Transfer-Encoding xchunked",
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
  ],
  [
    "Transfer-Encoding chunked then gzip on a second line",
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n",
  ],
  [
    "a chunk size that is not hex",
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
  ],
  [
    "an empty chunk size",
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\r\nhello\r\n0\r\n\r\n",
  ],
  [
    "a chunk size with 0x",
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n",
  ],
  [
    "a negative chunk size",
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n",
  ],
  [
    "a chunk size over 13 hex digits",
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000\r\nx\r\n0\r\n\r\n",
  ],
  [
    "a chunk size line ended by bare LF",
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n",
  ],
  [
    "a NUL in a chunk extension",
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a\x00\r\nhello\r\n0\r\n\r\n",
  ],
  [
    "chunk data longer than its size",
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello!\r\n0\r\n\r\n",
  ],
  [
    "chunk data followed by LF only",
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n",
  ],
  [
    "an invalid trailer field",
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nBad Name: x\r\n\r\n",
  ],
  [
    "a trailer with a bare LF",
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: a\nY: b\r\n\r\n",
  ],
];

for (const [what, wire] of refusals) {
  test(`refused with BAD_REQUEST (400): ${what}, whole and one byte at a time`, () => {
    assertRefused(wire, what);
    assertRefused(wire, `${what}, one byte at a time`, "BAD_REQUEST", { step: 1 });
  });
}

test("a refusal is an HttpError with status 400", () => {
  try {
    parse("GET / HTTP/1.1\r\nHost : a\r\n\r\n");
    assert.fail("refused");
  } catch (err) {
    assert.ok(err instanceof HttpError);
    assert.equal(err.status, 400);
    assert.equal(err.code, "BAD_REQUEST");
  }
});

test("a bare LF is refused before the head completes: a head that would never end waits for no timeout", () => {
  for (const wire of [
    "GET / HTTP/1.1\n",
    "GET / HTTP/1.1\r\nHost: a\n",
    "GET / HTTP/1.1\r\nHost: a\r\nX: 1\n",
  ]) {
    assertRefused(wire, JSON.stringify(wire));
    assertRefused(wire, `${JSON.stringify(wire)} one byte at a time`, "BAD_REQUEST", { step: 1 });
  }
  // CRLF split across reads is not a bare LF.
  const sink = new RecordingSink();
  const parser = new RequestParser(sink, MAX_HEAD);
  parser.execute(Buffer.from("GET / HTTP/1.1\r"), 0);
  parser.execute(Buffer.from("\nHost: a\r"), 0);
  parser.execute(Buffer.from("\n\r"), 0);
  parser.execute(Buffer.from("\n"), 0);
  assert.equal(sink.head.target, "/");
  assert.equal(parser.done, true);
});

test("a head over the limit is HEADERS_TOO_LARGE (431), whole or in pieces, before its end arrives", () => {
  const big = `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${"x".repeat(2_000)}\r\n\r\n`;
  for (const step of [undefined, 1, 100]) {
    assert.throws(
      () => parse(big, { maxHead: 1_024, step }),
      (err: unknown) => err instanceof HttpError && err.code === "HEADERS_TOO_LARGE" && err.status === 431,
      `step ${step}`,
    );
  }
  // Without its end: refused as soon as the buffered part passes the limit.
  const sink = new RecordingSink();
  const parser = new RequestParser(sink, 1_024);
  parser.execute(Buffer.from(`GET / HTTP/1.1\r\nX: ${"y".repeat(900)}`), 0);
  assert.throws(
    () => parser.execute(Buffer.from("y".repeat(200)), 0),
    (err: unknown) => err instanceof HttpError && err.code === "HEADERS_TOO_LARGE",
  );
  // Just at the limit is fine.
  const line = "GET / HTTP/1.1\r\nX: ";
  const exact = `${line}${"z".repeat(1_024 - line.length)}\r\n\r\n`;
  assert.equal(parse(exact, { maxHead: 1_024 }).sink.heads.length, 1);
});

test("a chunk size line over 4 KiB is refused when it arrives in pieces", () => {
  const wire = `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=${"e".repeat(5_000)}\r\nhello\r\n0\r\n\r\n`;
  assertRefused(wire, "long chunk line, in pieces", "BAD_REQUEST", { step: 512 });
  // Without a line end at all: refused before the line ends.
  const sink = new RecordingSink();
  const parser = new RequestParser(sink, MAX_HEAD);
  parser.execute(Buffer.from("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"), 0);
  assert.throws(
    () => {
      for (let i = 0; i < 10; i++) parser.execute(Buffer.from("1".repeat(1_000)), 0);
    },
    (err: unknown) => err instanceof HttpError && err.code === "BAD_REQUEST",
  );
});

test("a trailer section over 4 KiB is refused when it arrives in pieces", () => {
  const wire = `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: ${"t".repeat(5_000)}\r\n\r\n`;
  assertRefused(wire, "long trailers, in pieces", "BAD_REQUEST", { step: 700 });
});

test("body chunks are views handed on as they arrive, not held back until the end", () => {
  const sink = new RecordingSink();
  const parser = new RequestParser(sink, MAX_HEAD);
  parser.execute(Buffer.from("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n"), 0);
  parser.execute(Buffer.from("0123"), 0);
  assert.equal(sink.bodyText, "0123");
  parser.execute(Buffer.from("456789"), 0);
  assert.equal(sink.bodyText, "0123456789");
  assert.equal(sink.ended, true);
});

/** Feeds `parts` as separate reads and lists the sink's events. */
function feedReads(parts: string[]): string[] {
  const events: string[] = [];
  const p = new RequestParser(
    {
      onHead: (h) => events.push(`head ${h.target}`),
      onBody: () => events.push("body"),
      onEnd: () => events.push("end"),
    },
    16 * 1024,
  );
  for (const s of parts) p.execute(Buffer.from(s, "latin1"), 0);
  return events;
}

test("a leading empty line whose CR and LF arrive in different reads is ignored", () => {
  assert.deepEqual(feedReads(["\r", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"]), ["head /", "end"]);
  assert.deepEqual(feedReads([..."\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"]), ["head /", "end"]);
});

test("chunk-size lines and trailer sections over 4 KiB are refused when they arrive in one read", () => {
  const head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  const refused = (err: unknown) => err instanceof HttpError && err.code === "BAD_REQUEST";
  assert.throws(() => feedReads([`${head}5;e=${"e".repeat(5000)}\r\nhello\r\n0\r\n\r\n`]), refused);
  assert.throws(() => feedReads([`${head}0\r\nX: ${"t".repeat(5000)}\r\n\r\n`]), refused);
});
