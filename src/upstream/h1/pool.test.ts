// H1Pool against real sockets: upstreams on 127.0.0.1 that write raw response bytes, so each test decides
// exactly what is on the wire. Keep-alive reuse and its limits (RFC 9112 §9.3), the queue beyond
// maxConnections, timeouts, failures on either side, and close()/destroy().
import assert from "node:assert/strict";
import type { IncomingHttpHeaders } from "node:http";
import { type AddressInfo, createServer, type Socket } from "node:net";
import { Readable } from "node:stream";
import { type TestContext, test } from "node:test";
import { buildConnector, type Dispatcher } from "undici";
import { HttpError } from "../../http/errors.ts";
import { H1Pool, type H1PoolOptions, type PoolStats, type UpstreamRequest } from "./pool.ts";

/** Everything a handler heard, in order; `done` settles at the end or the error. */
class RecordingHandler implements Dispatcher.DispatchHandler {
  readonly name: string;
  readonly events: string[] = [];
  /** Each event as it happens, for tests that check what else was true at that moment. */
  readonly log: string[];
  controller: Dispatcher.DispatchController | undefined;
  status = 0;
  headers: IncomingHttpHeaders | undefined;
  readonly chunks: Buffer[] = [];
  trailers: IncomingHttpHeaders | undefined;
  error: Error | undefined;
  /** Called on each body chunk, after it was recorded. */
  afterData: ((controller: Dispatcher.DispatchController, chunk: Buffer) => void) | undefined;
  readonly done: Promise<void>;
  #settle!: () => void;

  constructor(name = "", log: string[] = []) {
    this.name = name;
    this.log = log;
    this.done = new Promise((resolve) => {
      this.#settle = resolve;
    });
  }

  #note(event: string): void {
    this.events.push(event);
    this.log.push(this.name === "" ? event : `${this.name}:${event}`);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    this.#note("start");
  }

  onResponseStart(_c: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
    this.status = status;
    this.headers = headers;
    this.#note("head");
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(Buffer.from(chunk));
    this.#note("data");
    this.afterData?.(controller, chunk);
  }

  onResponseEnd(_c: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    this.trailers = trailers;
    this.#note("end");
    this.#settle();
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    this.error = err;
    this.#note("error");
    this.#settle();
  }

  get body(): string {
    return Buffer.concat(this.chunks).toString("latin1");
  }
}

interface Upstream {
  port: number;
  /** Every accepted connection, in order. */
  sockets: Socket[];
}

/** A TCP server on 127.0.0.1 port 0; `onConnection` writes whatever the test wants. */
async function upstream(t: TestContext, onConnection: (socket: Socket) => void): Promise<Upstream> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on("error", () => {});
    onConnection(socket);
    // An upstream that ignores requests still reads them, or it would never see weir's close.
    if (socket.listenerCount("data") === 0) socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return { port: (server.address() as AddressInfo).port, sockets };
}

/** Calls `respond` with each request head (no body expected) arriving on `socket`. */
function onHeads(socket: Socket, respond: (head: string) => void): void {
  let buf = "";
  socket.setEncoding("latin1");
  socket.on("data", (data: string) => {
    buf += data;
    for (let end = buf.indexOf("\r\n\r\n"); end >= 0; end = buf.indexOf("\r\n\r\n")) {
      const head = buf.slice(0, end);
      buf = buf.slice(end + 4);
      respond(head);
    }
  });
}

function closed(socket: Socket): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve) => socket.once("close", () => resolve()));
}

function pool(t: TestContext, port: number, opts: Partial<H1PoolOptions> = {}): H1Pool {
  // Plain TCP with reused read buffers, as weir's plain upstreams run; TLS and PROXY-header upstreams
  // pass undici's connectors instead (covered end to end in test/tls and test/proxy).
  const p = new H1Pool({
    connectTimeoutMs: 2_000,
    hostname: "127.0.0.1",
    port,
    protocol: "http:",
    maxConnections: 4,
    responseTimeoutMs: 5_000,
    idleTimeoutMs: 5_000,
    ...opts,
  });
  t.after(() => p.destroy());
  return p;
}

function get(path: string, headers: string[] = []): UpstreamRequest {
  return { method: "GET", path, headers, body: null };
}

/** Polls until `check` holds; fails after `ms`. */
async function until(what: string, check: () => boolean, ms = 2_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
const ZERO = { connected: 0, free: 0, running: 0, pending: 0 };

test("keep-alive: two sequential requests share one upstream connection", async (t) => {
  const heads: string[] = [];
  const up = await upstream(t, (s) =>
    onHeads(s, (head) => {
      heads.push(head);
      s.write(OK);
    }),
  );
  const p = pool(t, up.port);
  for (const path of ["/one", "/two"]) {
    const h = new RecordingHandler();
    assert.equal(p.dispatch(get(path, ["accept", "*/*"]), h), true);
    await h.done;
    assert.deepEqual(h.events, ["start", "head", "data", "end"]);
    assert.equal(h.status, 200);
    assert.equal(h.body, "ok");
  }
  assert.equal(up.sockets.length, 1, "one connection for both requests");
  assert.deepEqual(p.stats, { connected: 1, free: 1, running: 0, pending: 0 });
  assert.equal(heads[0], `GET /one HTTP/1.1\r\naccept: */*\r\nhost: 127.0.0.1:${up.port}`);
  assert.match(heads[1]!, /^GET \/two HTTP\/1\.1\r\n/);
});

test("body bytes outlive the reused read buffer; a connector (TLS, PROXY header) gives the same result", async (t) => {
  // Two responses on one connection: the first one's body, kept by the handler, must not be overwritten
  // by the second read (plain TCP reads into one reused buffer and copies body bytes out).
  for (const connect of [undefined, buildConnector({ timeout: 2_000 })]) {
    let n = 0;
    const up = await upstream(t, (s) =>
      onHeads(s, () => {
        n++;
        s.write(`HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nbody${n}`);
      }),
    );
    const p = pool(t, up.port, { connect });
    const bodies: string[] = [];
    const kept: Buffer[] = [];
    for (const path of ["/a", "/b"]) {
      const h = new RecordingHandler();
      h.afterData = (_c, chunk) => kept.push(chunk); // the chunk itself, not the handler's copy
      p.dispatch(get(path), h);
      await h.done;
      bodies.push(h.body);
    }
    assert.deepEqual(bodies, ["body1", "body2"]);
    assert.equal(
      Buffer.concat(kept).toString(),
      "body1body2",
      "chunks handed on are not views of a reused buffer",
    );
    assert.equal(up.sockets.length, 1);
  }
});

test("a Connection: close response is not reused: the next request opens a new connection", async (t) => {
  const up = await upstream(t, (s) =>
    onHeads(s, () => s.write("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")),
  );
  const p = pool(t, up.port);
  const first = new RecordingHandler();
  p.dispatch(get("/"), first);
  await first.done;
  assert.equal(first.body, "ok");
  await closed(up.sockets[0]!); // weir closes it: the upstream said it would
  const second = new RecordingHandler();
  p.dispatch(get("/"), second);
  await second.done;
  assert.deepEqual(second.events, ["start", "head", "data", "end"]);
  assert.equal(up.sockets.length, 2);
});

test("a close-delimited response ends when the upstream closes, and its connection is not reused", async (t) => {
  const up = await upstream(t, (s) => onHeads(s, () => s.end("HTTP/1.1 200 OK\r\n\r\nuntil close")));
  const p = pool(t, up.port);
  const h = new RecordingHandler();
  p.dispatch(get("/"), h);
  await h.done;
  assert.deepEqual(h.events.at(-1), "end");
  assert.equal(h.body, "until close");
  await until("the pool dropped the connection", () => p.stats.connected === 0);
});

test("maxConnections 1: three concurrent requests are served one after another, the rest counted pending", async (t) => {
  const log: string[] = [];
  const seen: string[] = [];
  let p!: H1Pool;
  const statsAtArrival: PoolStats[] = [];
  const up = await upstream(t, (s) =>
    onHeads(s, (head) => {
      const path = head.split(" ")[1]!;
      seen.push(path);
      statsAtArrival.push({ ...p.stats });
      log.push(`upstream:${path}`);
      setTimeout(() => s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${path.length}\r\n\r\n${path}`), 20);
    }),
  );
  p = pool(t, up.port, { maxConnections: 1 });
  const handlers = ["a", "b", "c"].map((name) => new RecordingHandler(name, log));
  for (const h of handlers) p.dispatch(get(`/${h.name}`), h);
  assert.deepEqual(p.stats, { connected: 0, free: 0, running: 0, pending: 3 }, "all wait for the connect");
  await Promise.all(handlers.map((h) => h.done));
  assert.equal(up.sockets.length, 1);
  assert.deepEqual(seen, ["/a", "/b", "/c"]);
  assert.deepEqual(
    statsAtArrival.map((s) => [s.running, s.pending]),
    [
      [1, 2],
      [1, 1],
      [1, 0],
    ],
  );
  // Each request goes out only after the previous response ended.
  assert.deepEqual(
    log.filter((e) => !e.endsWith(":head") && !e.endsWith(":data")),
    ["a:start", "upstream:/a", "a:end", "b:start", "upstream:/b", "b:end", "c:start", "upstream:/c", "c:end"],
  );
  for (const h of handlers) assert.equal(h.body, `/${h.name}`);
  assert.deepEqual(p.stats, { connected: 1, free: 1, running: 0, pending: 0 });
});

test("an upstream that never answers: RESPONSE_TIMEOUT within responseTimeoutMs and a margin", async (t) => {
  const up = await upstream(t, () => {});
  const p = pool(t, up.port, { responseTimeoutMs: 200 });
  const h = new RecordingHandler();
  const started = Date.now();
  p.dispatch(get("/"), h);
  await h.done;
  const elapsed = Date.now() - started;
  assert.deepEqual(h.events, ["start", "error"]);
  assert.ok(h.error instanceof HttpError && h.error.code === "RESPONSE_TIMEOUT", String(h.error));
  assert.ok(elapsed >= 190, `not before the timeout: ${elapsed} ms`);
  assert.ok(elapsed < 200 + 400, `within the timeout and a margin: ${elapsed} ms`);
  await closed(up.sockets[0]!);
  await until("the pool dropped the connection", () => p.stats.connected === 0);
});

test("a response that stalls mid-body also times out; bytes before the stall reset the clock", async (t) => {
  const up = await upstream(t, (s) =>
    onHeads(s, () => {
      s.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
      // Progress every 50 ms for a while (well within the 300 ms timeout each time), then silence.
      let n = 0;
      const tick = setInterval(() => {
        if (++n > 4 || s.destroyed) clearInterval(tick);
        else s.write("x");
      }, 50);
    }),
  );
  const p = pool(t, up.port, { responseTimeoutMs: 300 });
  const h = new RecordingHandler();
  const started = Date.now();
  p.dispatch(get("/"), h);
  await h.done;
  const elapsed = Date.now() - started;
  assert.equal(h.events.at(-1), "error");
  assert.ok(h.error instanceof HttpError && h.error.code === "RESPONSE_TIMEOUT", String(h.error));
  assert.equal(h.body, "xxxx");
  assert.ok(elapsed >= 200 + 290, `the trickle kept it alive: ${elapsed} ms`);
});

test("an idle connection is closed after idleTimeoutMs, and the upstream sees the close", async (t) => {
  const up = await upstream(t, (s) => onHeads(s, () => s.write(OK)));
  const p = pool(t, up.port, { idleTimeoutMs: 150 });
  const h = new RecordingHandler();
  p.dispatch(get("/"), h);
  await h.done;
  const idleFrom = Date.now();
  assert.deepEqual(p.stats, { connected: 1, free: 1, running: 0, pending: 0 });
  await closed(up.sockets[0]!);
  const idle = Date.now() - idleFrom;
  assert.ok(idle >= 140, `not before the idle timeout: ${idle} ms`);
  assert.ok(idle < 150 + 400, `soon after the idle timeout: ${idle} ms`);
  await until("the pool dropped the connection", () => p.stats.connected === 0);
  assert.deepEqual(p.stats, ZERO);
});

test("a server's Keep-Alive timeout shortens the idle time (less a second)", async (t) => {
  const up = await upstream(t, (s) =>
    onHeads(s, () => s.write("HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1\r\nContent-Length: 0\r\n\r\n")),
  );
  const p = pool(t, up.port, { idleTimeoutMs: 60_000 });
  const h = new RecordingHandler();
  p.dispatch(get("/"), h);
  await h.done;
  // timeout=1 less a second leaves no idle time at all: the connection is closed at once.
  await closed(up.sockets[0]!);
  await until("the pool dropped the connection", () => p.stats.connected === 0);
});

test("connection refused: the error has code ECONNREFUSED and onRequestStart is never called", async (t) => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  const p = pool(t, port);
  const h = new RecordingHandler();
  p.dispatch(get("/"), h);
  await h.done;
  assert.deepEqual(h.events, ["error"]);
  assert.equal((h.error as NodeJS.ErrnoException).code, "ECONNREFUSED");
  assert.deepEqual(p.stats, ZERO);
});

test("the upstream closing mid-body fails the response with a socket error", async (t) => {
  const up = await upstream(t, (s) =>
    onHeads(s, () => s.end("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")),
  );
  const p = pool(t, up.port);
  const h = new RecordingHandler();
  p.dispatch(get("/"), h);
  await h.done;
  assert.deepEqual(h.events, ["start", "head", "data", "error"]);
  assert.equal(h.body, "abc");
  assert.equal((h.error as NodeJS.ErrnoException).code, "UND_ERR_SOCKET");
  await until("the pool dropped the connection", () => p.stats.connected === 0);
});

test("the upstream closing mid-chunked-body fails the response too", async (t) => {
  const up = await upstream(t, (s) =>
    onHeads(s, () => s.end("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n")),
  );
  const p = pool(t, up.port);
  const h = new RecordingHandler();
  p.dispatch(get("/"), h);
  await h.done;
  assert.equal(h.events.at(-1), "error");
  assert.equal(h.body, "abc");
});

test("a malformed response fails with BAD_RESPONSE and its connection is closed", async (t) => {
  const up = await upstream(t, (s) =>
    onHeads(s, () => s.write("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nok")),
  );
  const p = pool(t, up.port);
  const h = new RecordingHandler();
  p.dispatch(get("/"), h);
  await h.done;
  assert.deepEqual(h.events, ["start", "error"]);
  assert.ok(h.error instanceof HttpError && h.error.code === "BAD_RESPONSE", String(h.error));
  await closed(up.sockets[0]!);
});

test("more bytes than the response framed: the response ends, the connection is not reused", async (t) => {
  const up = await upstream(t, (s) => onHeads(s, () => s.write(`${OK}${OK}`)));
  const p = pool(t, up.port);
  const h = new RecordingHandler();
  p.dispatch(get("/"), h);
  await h.done;
  assert.deepEqual(h.events, ["start", "head", "data", "end"]);
  assert.equal(h.body, "ok");
  await closed(up.sockets[0]!);
  const next = new RecordingHandler();
  p.dispatch(get("/"), next);
  await next.done;
  assert.equal(next.body, "ok");
  assert.equal(up.sockets.length, 2, "a second connection for the next request");
});

test("abort from onResponseData closes the upstream socket and the pool drops that connection", async (t) => {
  const up = await upstream(t, (s) =>
    onHeads(s, () =>
      // The first connection sends part of a long body and stalls; later ones answer in full.
      s.write(up.sockets.length === 1 ? "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nfirst part" : OK),
    ),
  );
  const p = pool(t, up.port);
  const h = new RecordingHandler();
  const reason = new Error("the client went away");
  h.afterData = (controller) => controller.abort(reason);
  p.dispatch(get("/"), h);
  await h.done;
  assert.deepEqual(h.events, ["start", "head", "data", "error"]);
  assert.equal(h.error, reason);
  assert.equal(h.controller?.aborted, true);
  assert.equal(h.controller?.reason, reason);
  await closed(up.sockets[0]!);
  await until("the pool dropped the connection", () => p.stats.connected === 0);
  assert.deepEqual(p.stats, ZERO);
  // The pool still works: the next request gets a new connection.
  const next = new RecordingHandler();
  p.dispatch(get("/"), next);
  await next.done;
  assert.equal(next.body, "ok");
  assert.equal(up.sockets.length, 2);
});

test("abort from onRequestStart: nothing is written, the connection stays clean, the queue moves on", async (t) => {
  const up = await upstream(t, (s) => onHeads(s, () => setTimeout(() => s.write(OK), 20)));
  const p = pool(t, up.port, { maxConnections: 1 });
  const log: string[] = [];
  const first = new RecordingHandler("first", log);
  const gaveUp = new RecordingHandler("gaveUp", log);
  const last = new RecordingHandler("last", log);
  const reason = new Error("gave up waiting");
  const start = gaveUp.onRequestStart.bind(gaveUp);
  gaveUp.onRequestStart = (controller) => {
    start(controller);
    controller.abort(reason);
  };
  p.dispatch(get("/1"), first);
  p.dispatch(get("/2"), gaveUp);
  p.dispatch(get("/3"), last);
  await Promise.all([first.done, gaveUp.done, last.done]);
  assert.deepEqual(first.events, ["start", "head", "data", "end"]);
  assert.deepEqual(gaveUp.events, ["start", "error"]);
  assert.equal(gaveUp.error, reason);
  assert.deepEqual(last.events, ["start", "head", "data", "end"]);
  assert.deepEqual(
    log.filter((e) => e.endsWith(":start") || e.endsWith(":end") || e.endsWith(":error")),
    ["first:start", "first:end", "gaveUp:start", "gaveUp:error", "last:start", "last:end"],
  );
  assert.equal(up.sockets.length, 1, "nothing of the aborted request was written: the connection was reused");
});

test("a body stream without content-length is sent chunked and the upstream receives the right bytes", async (t) => {
  let received = Buffer.alloc(0);
  const up = await upstream(t, (s) => {
    s.on("data", (d: Buffer) => {
      received = Buffer.concat([received, d]);
      if (received.includes("0\r\n\r\n", received.indexOf("\r\n\r\n") + 4)) s.write(OK);
    });
  });
  const p = pool(t, up.port);
  const chunks = [
    Buffer.from("hello "),
    Buffer.alloc(0),
    Buffer.from("wörld", "utf8"),
    Buffer.alloc(300, 0x61),
  ];
  const h = new RecordingHandler();
  p.dispatch(
    { method: "POST", path: "/up", headers: ["content-type", "text/plain"], body: Readable.from(chunks) },
    h,
  );
  await h.done;
  assert.deepEqual(h.events, ["start", "head", "data", "end"]);
  const wire = received.toString("latin1");
  const headEnd = wire.indexOf("\r\n\r\n") + 4;
  assert.equal(
    wire.slice(0, headEnd),
    `POST /up HTTP/1.1\r\ncontent-type: text/plain\r\nhost: 127.0.0.1:${up.port}\r\ntransfer-encoding: chunked\r\n\r\n`,
  );
  // Each non-empty chunk framed by its byte length; an empty chunk is not a premature last-chunk.
  const utf8 = Buffer.from("wörld", "utf8");
  const expected = Buffer.concat([
    Buffer.from("6\r\nhello \r\n"),
    Buffer.from(`${utf8.length.toString(16)}\r\n`),
    utf8,
    Buffer.from("\r\n12c\r\n"),
    Buffer.alloc(300, 0x61),
    Buffer.from("\r\n0\r\n\r\n"),
  ]);
  assert.deepEqual(received.subarray(headEnd), expected);
});

test("a body with content-length is sent as is, unframed", async (t) => {
  let received = Buffer.alloc(0);
  const up = await upstream(t, (s) => {
    s.on("data", (d: Buffer) => {
      received = Buffer.concat([received, d]);
      if (received.toString("latin1").endsWith("\r\n\r\nabcdef")) s.write(OK);
    });
  });
  const p = pool(t, up.port);
  const h = new RecordingHandler();
  const body = Readable.from([Buffer.from("abc"), Buffer.from("def")]);
  p.dispatch({ method: "PUT", path: "/x", headers: ["content-length", "6"], body }, h);
  await h.done;
  assert.equal(h.body, "ok");
  assert.equal(
    received.toString("latin1"),
    `PUT /x HTTP/1.1\r\ncontent-length: 6\r\nhost: 127.0.0.1:${up.port}\r\n\r\nabcdef`,
  );
});

test("close() waits for a running request, then resolves; the pool then refuses requests", async (t) => {
  let respond: (() => void) | undefined;
  const up = await upstream(t, (s) => onHeads(s, () => (respond = () => s.write(OK))));
  const p = pool(t, up.port);
  const h = new RecordingHandler();
  p.dispatch(get("/"), h);
  await until("the upstream got the request", () => respond !== undefined);
  let resolved = false;
  const closing = p.close().then(() => {
    resolved = true;
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(resolved, false, "close() waits while a request runs");
  assert.equal(p.closed, true);
  assert.deepEqual(h.events, ["start"]);
  respond!();
  await closing;
  assert.deepEqual(h.events, ["start", "head", "data", "end"]);
  assert.equal(h.body, "ok");
  await closed(up.sockets[0]!);
  await until("the pool dropped the connection", () => p.stats.connected === 0);
  assert.deepEqual(p.stats, ZERO);
  // A request after close() is refused: dispatch() says false and the handler hears why.
  const late = new RecordingHandler();
  assert.equal(p.dispatch(get("/"), late), false);
  await late.done;
  assert.deepEqual(late.events, ["error"]);
});

test("close() resolves only once its connections are gone: stats all zero at that moment", async (t) => {
  const up = await upstream(t, (s) => onHeads(s, () => setTimeout(() => s.write(OK), 30)));
  const p = pool(t, up.port);
  const h = new RecordingHandler();
  p.dispatch(get("/"), h);
  await until("the request started", () => h.controller !== undefined);
  await p.close();
  assert.deepEqual(h.events, ["start", "head", "data", "end"]);
  assert.deepEqual(p.stats, ZERO);
});

test("close() of an idle pool closes its connections; of an unused pool resolves at once", async (t) => {
  const up = await upstream(t, (s) => onHeads(s, () => s.write(OK)));
  const p = pool(t, up.port);
  const h = new RecordingHandler();
  p.dispatch(get("/"), h);
  await h.done;
  await p.close();
  await closed(up.sockets[0]!);
  await until("the pool dropped the connection", () => p.stats.connected === 0);
  assert.deepEqual(p.stats, ZERO);
  await pool(t, up.port).close();
});

test("destroy() fails running and queued requests and closes the connection", async (t) => {
  const up = await upstream(t, () => {});
  const p = pool(t, up.port, { maxConnections: 1 });
  const running = new RecordingHandler();
  const queued = new RecordingHandler();
  p.dispatch(get("/running"), running);
  p.dispatch(get("/queued"), queued);
  await until("the first request started", () => running.controller !== undefined);
  assert.deepEqual(p.stats, { connected: 1, free: 0, running: 1, pending: 1 });
  await p.destroy();
  await Promise.all([running.done, queued.done]);
  assert.deepEqual(running.events, ["start", "error"]);
  assert.deepEqual(queued.events, ["error"], "a queued request is never started");
  assert.match(running.error!.message, /destroyed/);
  assert.match(queued.error!.message, /destroyed/);
  assert.equal(p.destroyed, true);
  await closed(up.sockets[0]!);
  await until("the pool dropped the connection", () => p.stats.connected === 0);
  assert.deepEqual(p.stats, ZERO);
});
