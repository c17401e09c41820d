// H1Response on a real socket pair: what writeHead/write/end put on the wire, byte for byte, as the client
// receives it. Framing (RFC 9112 §6), bodiless responses (RFC 9110 §6.4.1), the connection fields weir
// owns, refused heads (response splitting), and one socket write for a small response.
import assert from "node:assert/strict";
import { connect, createServer, type Socket } from "node:net";
import { type TestContext, test } from "node:test";
import { H1Response, InvalidHeadError, type ResponseOwner } from "./response.ts";

const KEEP_ALIVE_LINES = "connection: keep-alive\r\nkeep-alive: timeout=5\r\n";

interface Pair {
  /** weir's side: the response writes here. */
  server: Socket;
  /** What the client received, once weir's side has ended. */
  received(): Promise<string>;
  /** Calls of server.write so far. */
  writes(): number;
}

async function socketPair(t: TestContext): Promise<Pair> {
  const listener = createServer();
  await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
  const accepted = new Promise<Socket>((r) => listener.once("connection", r));
  const client = connect((listener.address() as { port: number }).port, "127.0.0.1");
  const chunks: Buffer[] = [];
  client.on("data", (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((r) => client.once("end", () => r()));
  const server = await accepted;
  t.after(() => {
    client.destroy();
    server.destroy();
    return new Promise<void>((r) => listener.close(() => r()));
  });
  let writes = 0;
  const write = server.write.bind(server) as (...args: unknown[]) => boolean;
  server.write = ((...args: unknown[]) => {
    writes++;
    return write(...args);
  }) as typeof server.write;
  return {
    server,
    async received() {
      server.end();
      await ended;
      return Buffer.concat(chunks).toString("latin1");
    },
    writes: () => writes,
  };
}

/** A ResponseOwner that records responseDone calls. */
class Owner implements ResponseOwner {
  readonly socket: Socket;
  done: H1Response[] = [];
  constructor(socket: Socket) {
    this.socket = socket;
  }
  responseDone(res: H1Response): void {
    this.done.push(res);
  }
}

interface Made {
  pair: Pair;
  owner: Owner;
  res: H1Response;
}

async function make(
  t: TestContext,
  opts: { http10?: boolean; head?: boolean; keepAlive?: boolean; lines?: string } = {},
): Promise<Made> {
  const pair = await socketPair(t);
  const owner = new Owner(pair.server);
  const res = new H1Response(
    owner,
    opts.http10 ?? false,
    opts.head ?? false,
    opts.keepAlive ?? true,
    opts.lines ?? KEEP_ALIVE_LINES,
  );
  return { pair, owner, res };
}

/** Splits a response into its head lines (status line first) and the bytes after the head. */
function split(wire: string): { lines: string[]; body: string } {
  const end = wire.indexOf("\r\n\r\n");
  assert.ok(end > 0, `a complete head in ${JSON.stringify(wire)}`);
  return { lines: wire.slice(0, end).split("\r\n"), body: wire.slice(end + 4) };
}

function fieldValues(lines: string[], name: string): string[] {
  const prefix = `${name.toLowerCase()}:`;
  return lines.filter((l) => l.toLowerCase().startsWith(prefix)).map((l) => l.slice(prefix.length).trim());
}

const DATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

test("Content-Length framing: the body as written, no chunk sizes, keep-alive lines on HTTP/1.1", async (t) => {
  const { pair, owner, res } = await make(t);
  res.writeHead(200, { "content-type": "text/plain", "content-length": "11" });
  assert.equal(res.headersSent, true);
  assert.equal(res.statusCode, 200);
  res.write("hello ");
  res.end(Buffer.from("world"));
  const { lines, body } = split(await pair.received());
  assert.equal(lines[0], "HTTP/1.1 200 OK");
  assert.deepEqual(fieldValues(lines, "content-type"), ["text/plain"]);
  assert.deepEqual(fieldValues(lines, "content-length"), ["11"]);
  assert.deepEqual(fieldValues(lines, "transfer-encoding"), []);
  assert.deepEqual(fieldValues(lines, "connection"), ["keep-alive"]);
  assert.deepEqual(fieldValues(lines, "keep-alive"), ["timeout=5"]);
  assert.equal(body, "hello world");
  assert.equal(res.finished, true);
  assert.equal(res.shouldKeepAlive, true);
  assert.deepEqual(owner.done, [res]);
});

test("chunked framing for HTTP/1.1 without Content-Length, ended by the last chunk", async (t) => {
  const { pair, res } = await make(t);
  res.writeHead(200, { "content-type": "text/plain" });
  res.write("hello");
  res.write(Buffer.from(" world, more than sixteen bytes"));
  res.write(""); // nothing: an empty chunk would end the body
  res.end("!");
  const { lines, body } = split(await pair.received());
  assert.deepEqual(fieldValues(lines, "transfer-encoding"), ["chunked"]);
  assert.deepEqual(fieldValues(lines, "content-length"), []);
  assert.equal(body, "5\r\nhello\r\n1f\r\n world, more than sixteen bytes\r\n1\r\n!\r\n0\r\n\r\n");
});

test("chunked: a string body's size counts UTF-8 bytes", async (t) => {
  const { pair, res } = await make(t);
  res.writeHead(200, {});
  res.end("héllo ✓");
  const wire = await pair.received();
  const bytes = Buffer.from(split(wire).body, "latin1");
  const text = Buffer.from("héllo ✓");
  assert.deepEqual(
    bytes,
    Buffer.concat([Buffer.from(`${text.length.toString(16)}\r\n`), text, Buffer.from("\r\n0\r\n\r\n")]),
  );
});

test("chunked with end() and no body: the head and the last chunk", async (t) => {
  const { pair, res } = await make(t);
  res.writeHead(200, {});
  res.end();
  const { lines, body } = split(await pair.received());
  assert.deepEqual(fieldValues(lines, "transfer-encoding"), ["chunked"]);
  assert.equal(body, "0\r\n\r\n");
});

test("HTTP/1.0 without Content-Length: close-delimited, connection: close, shouldKeepAlive false", async (t) => {
  const { pair, res } = await make(t, { http10: true, keepAlive: true });
  res.writeHead(200, { "content-type": "text/plain" });
  res.write("part one, ");
  res.end("part two");
  assert.equal(res.shouldKeepAlive, false);
  const { lines, body } = split(await pair.received());
  assert.equal(lines[0], "HTTP/1.1 200 OK");
  assert.deepEqual(fieldValues(lines, "transfer-encoding"), []);
  assert.deepEqual(fieldValues(lines, "connection"), ["close"]);
  assert.equal(body, "part one, part two");
});

test("HTTP/1.0 keep-alive with Content-Length: connection: keep-alive, no keep-alive hint line", async (t) => {
  const { pair, res } = await make(t, { http10: true, keepAlive: true });
  res.writeHead(200, { "content-length": 2 });
  res.end("ok");
  assert.equal(res.shouldKeepAlive, true);
  const { lines, body } = split(await pair.received());
  assert.deepEqual(fieldValues(lines, "connection"), ["keep-alive"]);
  assert.deepEqual(fieldValues(lines, "keep-alive"), []);
  assert.equal(body, "ok");
});

test("HTTP/1.0 without keep-alive: connection: close even with Content-Length", async (t) => {
  const { pair, res } = await make(t, { http10: true, keepAlive: false });
  res.writeHead(200, { "content-length": 2 });
  res.end("ok");
  const { lines, body } = split(await pair.received());
  assert.deepEqual(fieldValues(lines, "connection"), ["close"]);
  assert.equal(body, "ok");
});

test("HTTP/1.1 not kept alive: connection: close and no keep-alive hint", async (t) => {
  const { pair, res } = await make(t, { keepAlive: false });
  res.writeHead(200, { "content-length": 0 });
  res.end();
  const { lines } = split(await pair.received());
  assert.deepEqual(fieldValues(lines, "connection"), ["close"]);
  assert.deepEqual(fieldValues(lines, "keep-alive"), []);
});

test("HTTP/1.1 keep-alive lines are the owner's, as given", async (t) => {
  const { pair, res } = await make(t, { lines: "connection: keep-alive\r\n" });
  res.writeHead(204, {});
  res.end();
  const { lines } = split(await pair.received());
  assert.deepEqual(fieldValues(lines, "connection"), ["keep-alive"]);
  assert.deepEqual(fieldValues(lines, "keep-alive"), []);
});

for (const [what, status, head] of [
  ["a response to HEAD", 200, true],
  ["204", 204, false],
  ["304", 304, false],
] as const) {
  test(`${what} writes no body whatever is written, and no chunked coding`, async (t) => {
    const { pair, owner, res } = await make(t, { head });
    res.writeHead(status, { "content-length": status === 200 ? "5" : undefined, etag: '"x"' });
    assert.equal(res.write("hello"), true);
    res.end("world");
    const wire = await pair.received();
    const { lines, body } = split(wire);
    assert.match(lines[0] ?? "", new RegExp(`^HTTP/1\\.1 ${status} `));
    assert.equal(body, "");
    assert.deepEqual(fieldValues(lines, "transfer-encoding"), []);
    assert.deepEqual(fieldValues(lines, "etag"), ['"x"']);
    assert.equal(owner.done.length, 1);
  });
}

test("a response to HEAD without Content-Length stays keep-alive and unchunked", async (t) => {
  const { pair, res } = await make(t, { head: true });
  res.writeHead(200, { "content-type": "text/html" });
  res.end();
  assert.equal(res.shouldKeepAlive, true);
  const { lines, body } = split(await pair.received());
  assert.deepEqual(fieldValues(lines, "transfer-encoding"), []);
  assert.deepEqual(fieldValues(lines, "connection"), ["keep-alive"]);
  assert.equal(body, "");
});

test("the reason phrase: writeHead's own, else the standard one, else empty", async (t) => {
  const one = await make(t);
  one.res.writeHead(200, "Fine Thanks", { "content-length": 0 });
  one.res.end();
  assert.equal(split(await one.pair.received()).lines[0], "HTTP/1.1 200 Fine Thanks");
  const two = await make(t);
  two.res.writeHead(404, { "content-length": 0 });
  two.res.end();
  assert.equal(split(await two.pair.received()).lines[0], "HTTP/1.1 404 Not Found");
  const three = await make(t);
  three.res.writeHead(599);
  three.res.end();
  assert.equal(split(await three.pair.received()).lines[0], "HTTP/1.1 599 ");
});

test("date is added once when missing, and not duplicated when given (any case)", async (t) => {
  const one = await make(t);
  one.res.writeHead(200, { "content-length": 0 });
  one.res.end();
  const added = fieldValues(split(await one.pair.received()).lines, "date");
  assert.equal(added.length, 1);
  assert.match(added[0] ?? "", DATE);
  const two = await make(t);
  two.res.writeHead(200, { Date: "Tue, 01 Jan 2030 00:00:00 GMT", "content-length": 0 });
  two.res.end();
  assert.deepEqual(fieldValues(split(await two.pair.received()).lines, "date"), [
    "Tue, 01 Jan 2030 00:00:00 GMT",
  ]);
});

test("array values become repeated lines in order; numbers are written as numbers", async (t) => {
  const { pair, res } = await make(t);
  res.writeHead(200, {
    "set-cookie": ["a=1; Path=/", "b=2"],
    "content-length": 2,
    "x-count": 0,
    "x-skip": undefined,
  });
  res.end("ok");
  const { lines, body } = split(await pair.received());
  assert.deepEqual(fieldValues(lines, "set-cookie"), ["a=1; Path=/", "b=2"]);
  assert.deepEqual(fieldValues(lines, "content-length"), ["2"]);
  assert.deepEqual(fieldValues(lines, "x-count"), ["0"]);
  assert.deepEqual(fieldValues(lines, "x-skip"), []);
  assert.equal(body, "ok");
  // Field names are written as given.
  assert.ok(lines.includes("set-cookie: b=2"));
});

test("connection, keep-alive and transfer-encoding in the given headers are not copied", async (t) => {
  const { pair, res } = await make(t);
  res.writeHead(200, {
    Connection: "keep-alive, x-private",
    "Keep-Alive": "timeout=99",
    "Transfer-Encoding": "gzip, chunked",
    "x-private": "yes",
  });
  res.end("abc");
  assert.equal(res.shouldKeepAlive, true);
  const { lines, body } = split(await pair.received());
  assert.deepEqual(fieldValues(lines, "connection"), ["keep-alive"]);
  assert.deepEqual(fieldValues(lines, "keep-alive"), ["timeout=5"]);
  assert.deepEqual(fieldValues(lines, "transfer-encoding"), ["chunked"]);
  assert.equal(body, "3\r\nabc\r\n0\r\n\r\n");
});

test("connection: close in the given headers clears shouldKeepAlive and is written once", async (t) => {
  const { pair, res } = await make(t);
  res.writeHead(200, { connection: "Close", "content-length": 2 });
  assert.equal(res.shouldKeepAlive, false);
  res.end("ok");
  const { lines } = split(await pair.received());
  assert.deepEqual(fieldValues(lines, "connection"), ["close"]);
  assert.deepEqual(fieldValues(lines, "keep-alive"), []);
});

test("shouldKeepAlive cleared by the engine before writeHead gives connection: close", async (t) => {
  const { pair, res } = await make(t);
  res.shouldKeepAlive = false;
  res.writeHead(200, { "content-length": 0 });
  res.end();
  assert.deepEqual(fieldValues(split(await pair.received()).lines, "connection"), ["close"]);
});

test("trailers are sent after a chunked body; invalid trailer fields are dropped", async (t) => {
  const { pair, res } = await make(t);
  res.writeHead(200, { trailer: "x-checksum" });
  res.write("data");
  res.addTrailers({ "x-checksum": "abc123", "x-multi": ["1", "2"], "bad name": "x", "x-split": "a\r\nb" });
  res.end();
  const { body } = split(await pair.received());
  assert.equal(body, "4\r\ndata\r\n0\r\nx-checksum: abc123\r\nx-multi: 1\r\nx-multi: 2\r\n\r\n");
});

test("trailers with a last piece of body given to end()", async (t) => {
  const { pair, res } = await make(t);
  res.writeHead(200, {});
  res.addTrailers({ "x-t": "v" });
  res.end("end");
  assert.equal(split(await pair.received()).body, "3\r\nend\r\n0\r\nx-t: v\r\n\r\n");
});

test("trailers are not sent with a Content-Length body", async (t) => {
  const { pair, res } = await make(t);
  res.writeHead(200, { "content-length": 3 });
  res.addTrailers({ "x-t": "v" });
  res.end("abc");
  const wire = await pair.received();
  assert.equal(split(wire).body, "abc");
  assert.doesNotMatch(wire, /x-t/);
});

const invalidHeads: [string, (res: H1Response) => void][] = [
  ["CR LF in a value", (res) => res.writeHead(200, { "x-a": "ok\r\nset-cookie: evil=1" })],
  ["a bare LF in a value", (res) => res.writeHead(200, { "x-a": "ok\nx: y" })],
  ["a NUL in a value", (res) => res.writeHead(200, { "x-a": "a\x00b" })],
  ["CR LF in one of an array's values", (res) => res.writeHead(200, { "x-a": ["fine", "bad\r\n"] })],
  ["a space in a name", (res) => res.writeHead(200, { "x a": "1" })],
  ["a colon in a name", (res) => res.writeHead(200, { "x:a": "1" })],
  ["CR LF in a name", (res) => res.writeHead(200, { "x\r\ny": "1" })],
  ["an empty name", (res) => res.writeHead(200, { "": "1" })],
  ["CR LF in the reason phrase", (res) => res.writeHead(200, "OK\r\nx-evil: 1", {})],
];

for (const [what, call] of invalidHeads) {
  test(`InvalidHeadError for ${what}; nothing is written and the head can be built again`, async (t) => {
    const { pair, owner, res } = await make(t);
    assert.throws(
      () => call(res),
      (err: unknown) => err instanceof InvalidHeadError && err.code === "ERR_INVALID_HTTP_HEAD",
    );
    assert.equal(res.headersSent, false);
    assert.equal(pair.writes(), 0);
    assert.equal(owner.done.length, 0);
    // The engine answers 502 instead, on the same response.
    res.writeHead(502, { "content-length": 3 });
    res.end("bad");
    const wire = await pair.received();
    assert.equal(split(wire).lines[0], "HTTP/1.1 502 Bad Gateway");
    assert.doesNotMatch(wire, /evil|x-a|x: y/i);
    assert.equal(split(wire).body, "bad");
  });
}

test("a small response leaves in ONE socket write: head and body together", async (t) => {
  const cl = await make(t);
  cl.res.writeHead(200, { "content-type": "text/plain", "content-length": 5 });
  cl.res.end("hello");
  assert.equal(cl.pair.writes(), 1);
  assert.equal(split(await cl.pair.received()).body, "hello");
  const chunked = await make(t);
  chunked.res.writeHead(200, {});
  chunked.res.end("hello");
  assert.equal(chunked.pair.writes(), 1);
  assert.equal(split(await chunked.pair.received()).body, "5\r\nhello\r\n0\r\n\r\n");
  const empty = await make(t);
  empty.res.writeHead(204, {});
  empty.res.end();
  assert.equal(empty.pair.writes(), 1);
});

test("writeHead sends nothing by itself: the head leaves with the first body bytes", async (t) => {
  const { pair, res } = await make(t);
  res.writeHead(200, { "content-length": 10 });
  assert.equal(pair.writes(), 0);
  res.write("01234");
  assert.equal(pair.writes(), 1);
  res.end("56789");
  assert.equal(pair.writes(), 2);
  assert.equal(split(await pair.received()).body, "0123456789");
});

test("a large body arrives intact behind its head (corked, not copied)", async (t) => {
  const { pair, res } = await make(t);
  const big = Buffer.alloc(300 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = i % 251;
  res.writeHead(200, {});
  res.write(big);
  res.end(big);
  const body = Buffer.from(split(await pair.received()).body, "latin1");
  const size = Buffer.from(`${big.length.toString(16)}\r\n`);
  const expected = Buffer.concat([size, big, Buffer.from("\r\n"), size, big, Buffer.from("\r\n0\r\n\r\n")]);
  assert.equal(body.length, expected.length);
  assert.ok(body.equals(expected));
});

test("write() before writeHead sends a 200 head", async (t) => {
  const { pair, res } = await make(t);
  res.write("x");
  res.end();
  const { lines, body } = split(await pair.received());
  assert.equal(lines[0], "HTTP/1.1 200 OK");
  assert.equal(body, "1\r\nx\r\n0\r\n\r\n");
});

test("end() calls responseDone exactly once; write() and end() after it do nothing", async (t) => {
  const { pair, owner, res } = await make(t);
  res.writeHead(200, { "content-length": 2 });
  res.end("ok");
  assert.equal(res.finished, true);
  assert.equal(res.write("more"), false);
  res.end("again");
  assert.deepEqual(owner.done, [res]);
  assert.equal(split(await pair.received()).body, "ok");
});

test("a second writeHead is ignored", async (t) => {
  const { pair, res } = await make(t);
  res.writeHead(201, { "content-length": 1 });
  res.writeHead(500, { "x-late": "1" });
  res.end("a");
  const wire = await pair.received();
  assert.equal(split(wire).lines[0], "HTTP/1.1 201 Created");
  assert.doesNotMatch(wire, /x-late/);
});

test("write() returns false when the socket's buffer is full, and 'drain' follows", async (t) => {
  const { pair, res } = await make(t);
  res.writeHead(200, {});
  const big = Buffer.alloc(4 * 1024 * 1024, 0x61);
  const ok = res.write(big);
  assert.equal(ok, false);
  await new Promise<void>((r) => res.once("drain", () => r()));
  res.end();
  const body = split(await pair.received()).body;
  assert.equal(body.length, big.length + `${big.length.toString(16)}\r\n`.length + 2 + 5);
});

test("writeContinue sends 100 Continue before the head on HTTP/1.1, nothing on HTTP/1.0", async (t) => {
  const one = await make(t);
  one.res.writeContinue();
  one.res.writeHead(200, { "content-length": 0 });
  one.res.end();
  assert.match(await one.pair.received(), /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
  const ten = await make(t, { http10: true });
  ten.res.writeContinue();
  ten.res.writeHead(200, { "content-length": 0 });
  ten.res.end();
  assert.match(await ten.pair.received(), /^HTTP\/1\.1 200 OK\r\n/);
});
