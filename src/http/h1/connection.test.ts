// H1Connection at the socket level: a real weir config in-process (test/http/harness.ts) and raw client
// sockets. One request at a time in order (RFC 9112 §9.3.2), bodies with backpressure, a body the
// response did not wait for read and dropped, the timeouts of the server's sweep, the request limit, the
// client's FIN, 100-continue and HTTP/1.0 keep-alive.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import { connect, type Socket } from "node:net";
import { type TestContext, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { config, startOrigin, startProxy } from "../../../test/http/harness.ts";

/** weir on port 0 with one upstream at `originPort`, `/missing/` answered 404 by weir itself. */
async function proxyTo(t: TestContext, originPort: number, http = "") {
  return startProxy(
    t,
    config(`
[listeners.web]
address = "127.0.0.1:1"
[listeners.web.http]
${http}
[[routes]]
path_prefix = "/missing/"
respond = { status = 404, body = "no route\\n" }
[[routes]]
upstream = "o"
[upstreams.o]
endpoints = ["127.0.0.1:${originPort}"]
`),
  );
}

interface Response {
  status: number;
  head: string;
  headers: Map<string, string>;
  body: string;
}

/** A raw client connection that reads complete responses (Content-Length, chunked or close-delimited). */
class Client {
  readonly socket: Socket;
  #buf = "";
  #closed = false;
  #wake: (() => void) | undefined;
  readonly closed: Promise<void>;

  constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (c: Buffer) => {
      this.#buf += c.toString("latin1");
      this.#wake?.();
    });
    socket.on("error", () => {});
    this.closed = new Promise<void>((r) =>
      socket.once("close", () => {
        this.#closed = true;
        this.#wake?.();
        r();
      }),
    );
  }

  static async open(t: TestContext, port: number): Promise<Client> {
    // Not half-open: weir's FIN ends this side too, so "closed" means weir ended the connection.
    const socket = connect({ port, host: "127.0.0.1" });
    await new Promise<void>((r, j) => {
      socket.once("connect", r);
      socket.once("error", j);
    });
    t.after(() => socket.destroy());
    return new Client(socket);
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** Everything received and not yet taken as a response. */
  get pending(): string {
    return this.#buf;
  }

  write(bytes: string | Buffer): Promise<void> {
    return new Promise((r, j) => this.socket.write(bytes, (e) => (e ? j(e) : r())));
  }

  /** Waits until `ready` returns something other than undefined (or the connection closes). */
  async #until<T>(ready: () => T | undefined, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = ready();
      if (v !== undefined) return v;
      if (this.#closed) throw new Error(`connection closed; received ${JSON.stringify(this.#buf)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; received ${JSON.stringify(this.#buf)}`);
      await new Promise<void>((r) => {
        const timer = setTimeout(r, left);
        this.#wake = () => {
          clearTimeout(timer);
          r();
        };
      });
      this.#wake = undefined;
    }
  }

  /** Waits for `text` to arrive and takes everything up to its end. */
  async expectText(text: string, timeoutMs = 3_000): Promise<void> {
    await this.#until(() => {
      const at = this.#buf.indexOf(text);
      if (at < 0) return undefined;
      this.#buf = this.#buf.slice(at + text.length);
      return true;
    }, timeoutMs);
  }

  /** The next complete response. A response to HEAD must be read with `noBody`. */
  async response(timeoutMs = 3_000, noBody = false): Promise<Response> {
    const take = (): Response | undefined => {
      const end = this.#buf.indexOf("\r\n\r\n");
      if (end < 0) return undefined;
      const head = this.#buf.slice(0, end);
      const lines = head.split("\r\n");
      const status = Number(lines[0]?.split(" ")[1]);
      const headers = new Map<string, string>();
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(":");
        const name = line.slice(0, colon).toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
      }
      let at = end + 4;
      let body = "";
      if (noBody || status === 204 || status === 304 || status < 200) {
        // nothing
      } else if (headers.has("content-length")) {
        const n = Number(headers.get("content-length"));
        if (this.#buf.length < at + n) return undefined;
        body = this.#buf.slice(at, at + n);
        at += n;
      } else if (headers.get("transfer-encoding")?.includes("chunked")) {
        for (;;) {
          const lf = this.#buf.indexOf("\r\n", at);
          if (lf < 0) return undefined;
          const size = Number.parseInt(this.#buf.slice(at, lf), 16);
          if (size === 0) {
            const trailerEnd = this.#buf.indexOf("\r\n", lf + 2);
            if (trailerEnd < 0) return undefined;
            at = trailerEnd + 2;
            break;
          }
          if (this.#buf.length < lf + 2 + size + 2) return undefined;
          body += this.#buf.slice(lf + 2, lf + 2 + size);
          at = lf + 2 + size + 2;
        }
      } else {
        if (!this.#closed) return undefined;
        body = this.#buf.slice(at);
        at = this.#buf.length;
      }
      this.#buf = this.#buf.slice(at);
      return { status, head, headers, body };
    };
    // A close-delimited body is complete only at the close.
    return this.#until(() => take() ?? (this.#closed ? take() : undefined), timeoutMs).catch((err) => {
      const last = take();
      if (last !== undefined) return last;
      throw err;
    });
  }

  /** Resolves when the connection is closed; rejects after `timeoutMs`. */
  async waitClosed(timeoutMs: number): Promise<void> {
    await Promise.race([
      this.closed,
      sleep(timeoutMs).then(() => {
        throw new Error(`still open after ${timeoutMs} ms`);
      }),
    ]);
  }
}

const get = (path: string, extra = ""): string => `GET ${path} HTTP/1.1\r\nHost: a.test\r\n${extra}\r\n`;

function post(path: string, body: string, extra = ""): string {
  return `POST ${path} HTTP/1.1\r\nHost: a.test\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
}

/** The echo origin's JSON body. */
function seen(res: Response): { url: string; method: string; body: string; headers: Record<string, string> } {
  assert.equal(res.status, 200, res.head);
  return JSON.parse(res.body);
}

test("pipelined requests in one write are answered in order, a POST with a body among them", async (t) => {
  const origin = await startOrigin(t);
  const p = await proxyTo(t, origin.port);
  const c = await Client.open(t, p.port);
  await c.write(
    get("/1") +
      post("/2", "the body of two") +
      get("/3") +
      post("/4", "") +
      get("/5", "Connection: close\r\n"),
  );
  const answers = [];
  for (let i = 0; i < 5; i++) answers.push(seen(await c.response()));
  assert.deepEqual(
    answers.map((a) => [a.method, a.url, a.body]),
    [
      ["GET", "/1", ""],
      ["POST", "/2", "the body of two"],
      ["GET", "/3", ""],
      ["POST", "/4", ""],
      ["GET", "/5", ""],
    ],
  );
  await c.waitClosed(2_000);
  assert.equal(c.pending, "", "nothing after the last response");
});

test("pipelined requests split at odd places across writes are answered in order", async (t) => {
  const origin = await startOrigin(t);
  const p = await proxyTo(t, origin.port);
  const c = await Client.open(t, p.port);
  const wire = get("/a") + post("/b", "0123456789") + get("/c");
  for (let at = 0; at < wire.length; at += 7) {
    await c.write(wire.slice(at, at + 7));
    await sleep(1);
  }
  const urls = [];
  for (let i = 0; i < 3; i++) urls.push(seen(await c.response()).url);
  assert.deepEqual(urls, ["/a", "/b", "/c"]);
  assert.equal(origin.seen[1]?.body, "0123456789");
});

test("a body sent in many small pieces arrives whole at the origin (Content-Length and chunked)", async (t) => {
  const origin = await startOrigin(t);
  const p = await proxyTo(t, origin.port);
  const c = await Client.open(t, p.port);
  const body = "abcdefghijklmnopqrstuvwxyz0123456789".repeat(8);
  await c.write(`POST /cl HTTP/1.1\r\nHost: a.test\r\nContent-Length: ${body.length}\r\n\r\n`);
  for (let at = 0; at < body.length; at += 3) {
    await c.write(body.slice(at, at + 3));
    if (at % 30 === 0) await sleep(1);
  }
  assert.equal(seen(await c.response()).body, body);
  await c.write("POST /chunked HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n");
  for (let at = 0; at < body.length; at += 5) {
    const piece = body.slice(at, at + 5);
    // Each chunk's size line, data and CRLF in separate writes.
    await c.write(`${piece.length.toString(16)}\r\n`);
    await c.write(piece);
    await c.write("\r\n");
  }
  await c.write("0\r\n\r\n");
  assert.equal(seen(await c.response()).body, body);
  assert.equal(origin.seen.length, 2);
});

test("a large body (32 MiB) to a slow origin arrives intact, and weir holds back the client (backpressure)", async (t) => {
  let stalled = true;
  const release: Array<() => void> = [];
  const server = createServer((req, res) => {
    const hash = createHash("sha256");
    let length = 0;
    const read = (): void => {
      req.on("data", (c: Buffer) => {
        hash.update(c);
        length += c.length;
      });
      req.on("end", () => {
        const body = JSON.stringify({ length, sha256: hash.digest("hex") });
        res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
        res.end(body);
      });
    };
    if (stalled) release.push(read);
    else read();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const p = await proxyTo(t, (server.address() as { port: number }).port);
  const c = await Client.open(t, p.port);
  const body = Buffer.alloc(32 * 1024 * 1024);
  for (let i = 0; i < body.length; i += 4) body.writeUInt32LE((i * 2654435761) >>> 0, i);
  const expected = createHash("sha256").update(body).digest("hex");
  c.socket.write(`POST /big HTTP/1.1\r\nHost: a.test\r\nContent-Length: ${body.length}\r\n\r\n`);
  // In 64 KiB writes, so the client's writableLength says how much has not left it yet.
  for (let at = 0; at < body.length; at += 65_536) c.socket.write(body.subarray(at, at + 65_536));
  // While the origin reads nothing, what weir cannot pass on stays with the client: the socket buffers
  // between client, weir and origin hold a few MiB, weir itself no more than its stream buffers.
  await sleep(700);
  assert.ok(
    c.socket.writableLength > 4 * 1024 * 1024,
    `the client's data waits for weir (client buffer ${c.socket.writableLength} bytes)`,
  );
  stalled = false;
  for (const r of release) r();
  const res = await c.response(20_000);
  assert.deepEqual(JSON.parse(res.body), { length: body.length, sha256: expected });
});

test("a 404 to a POST whose body is still coming keeps the connection usable for the next request", async (t) => {
  const origin = await startOrigin(t);
  const p = await proxyTo(t, origin.port);
  const c = await Client.open(t, p.port);
  const body = "x".repeat(100_000);
  await c.write(`POST /missing/upload HTTP/1.1\r\nHost: a.test\r\nContent-Length: ${body.length}\r\n\r\n`);
  await c.write(body.slice(0, 1_000));
  const notFound = await c.response();
  assert.equal(notFound.status, 404);
  assert.equal(notFound.body, "no route\n");
  assert.notEqual(notFound.headers.get("connection"), "close");
  // The rest of the body, then the next request, on the same connection.
  for (let at = 1_000; at < body.length; at += 16_384) await c.write(body.slice(at, at + 16_384));
  await c.write(post("/after", "next one"));
  const after = seen(await c.response());
  assert.equal(after.url, "/after");
  assert.equal(after.body, "next one");
  assert.equal(c.isClosed, false);
  assert.deepEqual(
    origin.seen.map((s) => s.url),
    ["/after"],
  );
});

test("a 404 to a POST whose body follows in the same write: the next pipelined request is served", async (t) => {
  const origin = await startOrigin(t);
  const p = await proxyTo(t, origin.port);
  const c = await Client.open(t, p.port);
  await c.write(post("/missing/x", "y".repeat(5_000)) + get("/next"));
  assert.equal((await c.response()).status, 404);
  assert.equal(seen(await c.response()).url, "/next");
});

test("keepalive_timeout closes an idle connection", async (t) => {
  const origin = await startOrigin(t);
  const p = await proxyTo(t, origin.port, 'keepalive_timeout = "1s"');
  const c = await Client.open(t, p.port);
  await c.write(get("/1"));
  const res = await c.response();
  assert.equal(res.headers.get("keep-alive"), "timeout=1");
  const idleSince = Date.now();
  await c.waitClosed(4_000);
  const idle = Date.now() - idleSince;
  assert.ok(idle >= 900, `closed after ${idle} ms idle, not before the timeout`);
});

test("keepalive_timeout does not close a connection that keeps sending requests", async (t) => {
  const origin = await startOrigin(t);
  const p = await proxyTo(t, origin.port, 'keepalive_timeout = "1s"');
  const c = await Client.open(t, p.port);
  for (let i = 0; i < 4; i++) {
    await c.write(get(`/${i}`));
    assert.equal(seen(await c.response()).url, `/${i}`);
    await sleep(500);
  }
  assert.equal(c.isClosed, false);
});

test("max_requests_per_connection = 2: the second response says connection: close, then the socket closes", async (t) => {
  const origin = await startOrigin(t);
  const p = await proxyTo(t, origin.port, "max_requests_per_connection = 2");
  const c = await Client.open(t, p.port);
  await c.write(get("/1"));
  const first = await c.response();
  assert.equal(first.headers.get("connection"), "keep-alive");
  await c.write(get("/2"));
  const second = await c.response();
  assert.equal(seen(second).url, "/2");
  assert.equal(second.headers.get("connection"), "close");
  await c.waitClosed(2_000);
  assert.equal(origin.seen.length, 2);
});

test("max_requests_per_connection = 2 with three pipelined: the third is not served", async (t) => {
  const origin = await startOrigin(t);
  const p = await proxyTo(t, origin.port, "max_requests_per_connection = 2");
  const c = await Client.open(t, p.port);
  await c.write(get("/1") + get("/2") + get("/3"));
  assert.equal(seen(await c.response()).url, "/1");
  const second = await c.response();
  assert.equal(seen(second).url, "/2");
  assert.equal(second.headers.get("connection"), "close");
  await c.waitClosed(2_000);
  assert.equal(c.pending, "");
  assert.deepEqual(
    origin.seen.map((s) => s.url),
    ["/1", "/2"],
  );
});

test("a client FIN after a full request still gets its response, then the connection closes", async (t) => {
  const origin = await startOrigin(t, (_req, res, s) => {
    // Slow enough that the FIN arrives first.
    setTimeout(() => {
      const body = JSON.stringify(s);
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
    }, 200);
  });
  const p = await proxyTo(t, origin.port);
  const c = await Client.open(t, p.port);
  c.socket.end(post("/fin", "last words"));
  const res = await c.response();
  assert.equal(seen(res).body, "last words");
  await c.waitClosed(2_000);
});

test("a client FIN after a full request, its response from weir itself (404)", async (t) => {
  const origin = await startOrigin(t);
  const p = await proxyTo(t, origin.port);
  const c = await Client.open(t, p.port);
  c.socket.end(get("/missing/y"));
  assert.equal((await c.response()).status, 404);
  await c.waitClosed(2_000);
});

test("a client that closes mid-body makes weir abort the upstream request", async (t) => {
  const got: IncomingMessage[] = [];
  const aborted = new Promise<{ complete: boolean; received: number }>((resolve) => {
    const server = createServer((req) => {
      got.push(req);
      let received = 0;
      req.on("data", (c: Buffer) => {
        received += c.length;
      });
      req.on("close", () => resolve({ complete: req.complete, received }));
    });
    server.listen(0, "127.0.0.1");
    t.after(() => {
      server.closeAllConnections();
      server.close();
    });
    server.once("listening", () => portReady((server.address() as { port: number }).port));
  });
  let portReady: (port: number) => void = () => {};
  const port = await new Promise<number>((r) => {
    portReady = r;
  });
  const p = await proxyTo(t, port);
  const c = await Client.open(t, p.port);
  await c.write(`POST /upload HTTP/1.1\r\nHost: a.test\r\nContent-Length: 100000\r\n\r\n`);
  await c.write("z".repeat(10_000));
  // Wait until the origin has the request, then vanish.
  for (let i = 0; i < 100 && got.length === 0; i++) await sleep(20);
  assert.equal(got.length, 1, "the origin got the request head");
  c.socket.destroy();
  const result = await Promise.race([
    aborted,
    sleep(3_000).then(() => {
      throw new Error("the upstream request was not aborted");
    }),
  ]);
  assert.equal(result.complete, false);
  assert.ok(result.received < 100_000);
});

test("header_timeout after a partial head gives 408, on a fresh connection and between requests", async (t) => {
  const origin = await startOrigin(t);
  const p = await proxyTo(t, origin.port, 'header_timeout = "300ms"');
  const fresh = await Client.open(t, p.port);
  const started = Date.now();
  await fresh.write("GET / HTTP/1.1\r\nHost: a.te");
  const timedOut = await fresh.response(3_000);
  assert.equal(timedOut.status, 408);
  assert.equal(timedOut.headers.get("connection"), "close");
  assert.ok(Date.now() - started < 2_000);
  await fresh.waitClosed(2_000);
  // A second request's head that never completes, after a first one was served.
  const reused = await Client.open(t, p.port);
  await reused.write(get("/first"));
  assert.equal(seen(await reused.response()).url, "/first");
  await reused.write("GET /second HTTP/1.1\r\nHo");
  assert.equal((await reused.response(3_000)).status, 408);
  await reused.waitClosed(2_000);
  assert.deepEqual(
    origin.seen.map((s) => s.url),
    ["/first"],
  );
});

test("an idle connection with no bytes at all is not given 408 by header_timeout", async (t) => {
  const origin = await startOrigin(t);
  const p = await proxyTo(t, origin.port, 'header_timeout = "300ms"');
  const c = await Client.open(t, p.port);
  await c.write(get("/1"));
  await c.response();
  await sleep(800);
  assert.equal(c.pending, "");
  assert.equal(c.isClosed, false);
  await c.write(get("/2"));
  assert.equal(seen(await c.response()).url, "/2");
});

test("431 for a head over max_header_size, whole or trickled in, and the origin sees nothing", async (t) => {
  const origin = await startOrigin(t);
  const p = await proxyTo(t, origin.port, 'max_header_size = "1KiB"');
  const big = `GET / HTTP/1.1\r\nHost: a.test\r\nX-Big: ${"b".repeat(2_000)}\r\n\r\n`;
  const whole = await Client.open(t, p.port);
  await whole.write(big);
  const res = await whole.response();
  assert.equal(res.status, 431);
  assert.equal(res.headers.get("connection"), "close");
  await whole.waitClosed(2_000);
  const trickled = await Client.open(t, p.port);
  for (let at = 0; at < 1_500; at += 100) await trickled.write(big.slice(at, at + 100));
  assert.equal((await trickled.response()).status, 431);
  // Under the limit is served.
  const small = await Client.open(t, p.port);
  await small.write(get("/ok", `X-Small: ${"s".repeat(500)}\r\n`));
  assert.equal(seen(await small.response()).url, "/ok");
  assert.deepEqual(
    origin.seen.map((s) => s.url),
    ["/ok"],
  );
});

test("a malformed request after a good one on the same connection: 400, then close", async (t) => {
  const origin = await startOrigin(t);
  const p = await proxyTo(t, origin.port);
  const c = await Client.open(t, p.port);
  await c.write(`${get("/good")}GET /bad HTTP/1.1\r\nHost : a.test\r\n\r\n`);
  assert.equal(seen(await c.response()).url, "/good");
  assert.equal((await c.response()).status, 400);
  await c.waitClosed(2_000);
  assert.equal(origin.seen.length, 1);
});

test('"Expect: 100-continue" gets "HTTP/1.1 100 Continue" before the final response', async (t) => {
  const origin = await startOrigin(t);
  const p = await proxyTo(t, origin.port);
  const c = await Client.open(t, p.port);
  await c.write("POST /ask HTTP/1.1\r\nHost: a.test\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  await c.expectText("HTTP/1.1 100 Continue\r\n\r\n");
  assert.equal(c.pending, "", "nothing after 100 Continue until the body is sent");
  await c.write("hello");
  const res = seen(await c.response());
  assert.equal(res.body, "hello");
  assert.equal(res.url, "/ask");
});

test("HTTP/1.0 keep-alive request gets connection: keep-alive when the origin sends Content-Length", async (t) => {
  const origin = await startOrigin(t);
  const p = await proxyTo(t, origin.port);
  const c = await Client.open(t, p.port);
  await c.write("GET /ten HTTP/1.0\r\nHost: a.test\r\nConnection: keep-alive\r\n\r\n");
  const first = await c.response();
  assert.match(first.head, /^HTTP\/1\.1 200 /);
  assert.equal(first.headers.get("connection"), "keep-alive");
  assert.ok(first.headers.has("content-length"));
  assert.equal(seen(first).url, "/ten");
  // The same connection serves another HTTP/1.0 request; without keep-alive it is the last.
  await c.write("GET /ten-again HTTP/1.0\r\nHost: a.test\r\n\r\n");
  const second = await c.response();
  assert.equal(seen(second).url, "/ten-again");
  assert.equal(second.headers.get("connection"), "close");
  await c.waitClosed(2_000);
});

test("HTTP/1.0 keep-alive request to an origin without Content-Length: close-delimited", async (t) => {
  const origin = await startOrigin(t, (_req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.write("streamed ");
    res.end("body");
  });
  const p = await proxyTo(t, origin.port);
  const c = await Client.open(t, p.port);
  await c.write("GET /ten HTTP/1.0\r\nHost: a.test\r\nConnection: keep-alive\r\n\r\n");
  await c.waitClosed(3_000);
  const res = await c.response();
  assert.equal(res.headers.get("connection"), "close");
  assert.equal(res.headers.has("transfer-encoding"), false);
  assert.equal(res.body, "streamed body");
});

test("a HEAD response has no body: the pipelined request after it is read correctly", async (t) => {
  const origin = await startOrigin(t);
  const p = await proxyTo(t, origin.port);
  const c = await Client.open(t, p.port);
  await c.write(`HEAD /h HTTP/1.1\r\nHost: a.test\r\n\r\n${get("/after-head")}`);
  const head = await c.response(3_000, true);
  assert.equal(head.status, 200);
  assert.ok(Number(head.headers.get("content-length")) > 0, "the origin's Content-Length is kept");
  assert.equal(seen(await c.response()).url, "/after-head");
  assert.deepEqual(
    origin.seen.map((s) => [s.method, s.url]),
    [
      ["HEAD", "/h"],
      ["GET", "/after-head"],
    ],
  );
});

test("request_timeout: a body that stops arriving gets 408 and the connection closes", async (t) => {
  const origin = await startOrigin(t);
  const p = await proxyTo(t, origin.port, 'request_timeout = "500ms"');
  const c = await Client.open(t, p.port);
  const started = Date.now();
  await c.write(`POST /slow HTTP/1.1\r\nHost: a.test\r\nContent-Length: 100\r\n\r\n${"s".repeat(10)}`);
  const res = await c.response(3_000);
  assert.equal(res.status, 408);
  assert.ok(Date.now() - started >= 450, "not before the timeout");
  await c.waitClosed(2_000);
  assert.equal(origin.seen.length, 0, "the origin never saw a complete request");
});

test("pipelined requests then FIN: every complete request is answered, then the connection closes", async (t) => {
  const origin = await startOrigin(t);
  const p = await proxyTo(t, origin.port);
  const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: a.test\r\n\r\n`;
  const text = await new Promise<string>((resolve) => {
    const s = connect(p.port, "127.0.0.1", () => s.end(get("/1") + get("/2") + get("/3")));
    let out = "";
    s.on("data", (c: Buffer) => {
      out += c.toString("latin1");
    });
    s.on("close", () => resolve(out));
  });
  assert.deepEqual(
    [...text.matchAll(/"url":"([^"]+)"/g)].map((m) => m[1]),
    ["/1", "/2", "/3"],
  );
});
