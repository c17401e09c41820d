// One keep-alive connection of weir's HTTP/1.1 upstream client. It carries one exchange at a time (no
// pipelining): writes the request head and streams the body with backpressure, feeds the response to the
// parser and the parser's events to the exchange's handler, then goes back to its pool if the response
// left it reusable (RFC 9112 §9.3: not after "Connection: close", a close-delimited body, or a request
// body the upstream answered before reading whole).
import type { IncomingHttpHeaders } from "node:http";
import type { Socket } from "node:net";
import type { Readable } from "node:stream";
import { HttpError } from "../../http/errors.ts";
import type { Exchange } from "./exchange.ts";
import type { ReusedReads } from "./plain-connect.ts";
import { requestHead } from "./request-head.ts";
import { ResponseParser, type ResponseSink } from "./response-parser.ts";

/** The pool as its connections see it. */
export interface ConnectionOwner {
  /** Host field for requests whose client sent none: the endpoint's "host:port". */
  readonly hostHeader: string;
  /** Idle time after which a pooled connection is closed. */
  readonly idleTimeoutMs: number;
  /** The connection finished an exchange and can take another. */
  connectionReleased(conn: UpstreamConnection): void;
  /** The connection's socket closed. */
  connectionClosed(conn: UpstreamConnection): void;
}

/** The upstream closed or broke the connection before the response was complete. */
function socketError(message: string, cause?: Error): Error {
  const err = new Error(message, cause === undefined ? undefined : { cause }) as NodeJS.ErrnoException;
  err.code = (cause as NodeJS.ErrnoException | undefined)?.code ?? "UND_ERR_SOCKET";
  return err;
}

export class UpstreamConnection implements ResponseSink {
  readonly socket: Socket;
  readonly #owner: ConnectionOwner;
  readonly #parser: ResponseParser;
  current: Exchange | undefined = undefined;
  /** Date.now() of the last sign of progress: request fully sent, or response bytes received. */
  #lastActivity = 0;
  /** Date.now() when it became idle, 0 while busy; and how long it may stay idle. */
  #idleSince = 0;
  #idleLimitMs = 0;
  /** Bytes of the current request went out: an abort can no longer leave the connection clean. */
  #written = false;
  #requestSent = false;
  #responseEnded = false;
  #readingPaused = false;
  /** The upstream half-closed: no further request may go on this connection. */
  #ended = false;
  #body: Readable | undefined = undefined;
  #chunked = false;
  /** Reads land in a buffer the next read overwrites: body bytes handed on must be copies. */
  readonly #copyBody: boolean;

  /** `reads`: the socket reads into a reused buffer (plain-connect.ts) and reports through it. */
  constructor(socket: Socket, owner: ConnectionOwner, reads?: ReusedReads) {
    this.socket = socket;
    this.#owner = owner;
    this.#parser = new ResponseParser(this);
    this.#idleLimitMs = owner.idleTimeoutMs;
    this.#copyBody = reads !== undefined;
    if (reads !== undefined) reads.onRead = this.#onData;
    else socket.on("data", this.#onData);
    socket.on("end", this.#onEnd);
    socket.on("error", this.#onError);
    socket.on("close", this.#onClose);
  }

  /** Whether it can still carry a request. */
  get usable(): boolean {
    return !this.#ended && !this.socket.destroyed && this.socket.writable;
  }

  /** Carries `ex`: its handler learns it started, then the request is written. */
  start(ex: Exchange): void {
    this.current = ex;
    ex.conn = this;
    this.#idleSince = 0;
    this.#written = false;
    this.#requestSent = false;
    this.#responseEnded = false;
    if (this.#readingPaused) this.resumeReading();
    const req = ex.request;
    this.#parser.expect(req.method === "HEAD");
    ex.handler.onRequestStart?.(ex, {});
    if (ex.over) {
      // Aborted as it started: nothing was written, the connection is as clean as before.
      this.current = undefined;
      this.#owner.connectionReleased(this);
      return;
    }
    let head: ReturnType<typeof requestHead>;
    try {
      head = requestHead(req.method, req.path, req.headers, this.#owner.hostHeader, req.body !== null);
    } catch (err) {
      this.current = undefined;
      ex.fail(err as Error);
      this.#owner.connectionReleased(this);
      return;
    }
    this.#written = true;
    this.socket.write(head.text, "latin1");
    if (req.body === null || head.framing === "none") this.#sent();
    else this.#pumpBody(req.body, head.framing === "chunked");
  }

  /** The exchange's handler aborted it. */
  abort(ex: Exchange, reason: Error): void {
    if (this.current !== ex) return;
    if (!this.#written) {
      // Inside start(), before anything went out: start() releases the connection.
      ex.fail(reason);
      return;
    }
    this.#fail(reason);
  }

  pauseReading(): void {
    this.#readingPaused = true;
    this.socket.pause();
  }

  resumeReading(): void {
    this.#readingPaused = false;
    this.socket.resume();
  }

  /** Called by the pool's sweep: a response that stalls past `responseTimeoutMs`, or too long idle. */
  checkTimers(now: number, responseTimeoutMs: number): void {
    if (this.current !== undefined) {
      const stalled = now - this.#lastActivity > responseTimeoutMs;
      if (responseTimeoutMs > 0 && this.#requestSent && !this.#readingPaused && stalled) {
        this.#fail(new HttpError("RESPONSE_TIMEOUT"));
      }
    } else if (this.#idleSince > 0 && now - this.#idleSince > this.#idleLimitMs) {
      this.socket.destroy();
    }
  }

  /** Back in the pool: idle from now, for as long as the pool and the server's Keep-Alive hint allow. */
  markIdle(now: number): void {
    this.#idleSince = now;
  }

  onHead(status: number, reason: string, headers: IncomingHttpHeaders): void {
    const ex = this.current!;
    ex.handler.onResponseStart?.(ex, status, headers, reason);
  }

  onBody(chunk: Buffer): void {
    const ex = this.current!;
    ex.handler.onResponseData?.(ex, this.#copyBody ? Buffer.from(chunk) : chunk);
  }

  onEnd(trailers: IncomingHttpHeaders): void {
    const ex = this.current!;
    this.current = undefined;
    this.#responseEnded = true;
    ex.over = true;
    ex.conn = undefined;
    ex.handler.onResponseEnd?.(ex, trailers);
  }

  #onData = (chunk: Buffer): void => {
    if (this.current === undefined) {
      // Bytes nobody asked for: the connection's framing cannot be trusted any more.
      this.socket.destroy();
      return;
    }
    this.#lastActivity = Date.now();
    let left: number;
    try {
      left = this.#parser.execute(chunk);
    } catch (err) {
      this.#fail(err as Error);
      return;
    }
    if (this.#responseEnded) this.#afterResponse(left);
  };

  #afterResponse(left: number): void {
    this.#responseEnded = false;
    const parser = this.#parser;
    const reusable =
      left === 0 && this.#requestSent && !parser.closeAfter && !parser.closeDelimited && this.usable;
    if (!this.#requestSent) this.#stopBody();
    if (!reusable) {
      this.socket.destroy();
      return;
    }
    // A server's Keep-Alive timeout, less a second, so weir never sends on a connection it is closing.
    const hint = parser.keepAliveMs;
    this.#idleLimitMs =
      hint > 0 ? Math.min(this.#owner.idleTimeoutMs, hint - 1000) : this.#owner.idleTimeoutMs;
    if (this.#idleLimitMs <= 0) {
      this.socket.destroy();
      return;
    }
    this.#owner.connectionReleased(this);
  }

  #onEnd = (): void => {
    this.#ended = true;
    if (this.current === undefined) {
      this.socket.destroy();
      return;
    }
    // A body that runs until the connection closes is now complete; anything else was cut short.
    if (this.#parser.finishOnClose()) {
      this.#responseEnded = false;
      this.socket.destroy();
      return;
    }
    this.#fail(socketError("upstream closed the connection before the response was complete"));
  };

  #onError = (err: Error): void => {
    if (this.current !== undefined) this.#fail(socketError(err.message, err));
    this.socket.destroy();
  };

  #onClose = (): void => {
    this.#stopBody();
    if (this.current !== undefined) this.#fail(socketError("upstream connection closed"));
    this.#owner.connectionClosed(this);
  };

  /** The exchange fails with `err`; the connection is not reusable. */
  #fail(err: Error): void {
    const ex = this.current;
    this.current = undefined;
    this.#parser.stop();
    this.#stopBody();
    this.socket.destroy();
    ex?.fail(err);
  }

  #sent(): void {
    this.#requestSent = true;
    this.#lastActivity = Date.now();
  }

  #pumpBody(body: Readable, chunked: boolean): void {
    this.#body = body;
    this.#chunked = chunked;
    body.on("data", this.#onBodyData);
    body.on("end", this.#onBodyEnd);
    body.on("close", this.#onBodyClose);
    body.resume();
  }

  #stopBody(): void {
    const body = this.#body;
    if (body === undefined) return;
    this.#body = undefined;
    body.off("data", this.#onBodyData);
    body.off("end", this.#onBodyEnd);
    body.off("close", this.#onBodyClose);
    this.socket.off("drain", this.#onDrain);
  }

  #onBodyData = (chunk: Buffer): void => {
    if (chunk.length === 0) return;
    const socket = this.socket;
    let ok: boolean;
    if (this.#chunked) {
      socket.cork();
      const size = typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.length;
      socket.write(`${size.toString(16)}\r\n`, "latin1");
      socket.write(chunk);
      ok = socket.write("\r\n", "latin1");
      socket.uncork();
    } else {
      ok = socket.write(chunk);
    }
    if (!ok) {
      this.#body?.pause();
      socket.once("drain", this.#onDrain);
    }
  };

  #onDrain = (): void => {
    this.#body?.resume();
  };

  #onBodyEnd = (): void => {
    if (this.#chunked) this.socket.write("0\r\n\r\n", "latin1");
    this.#stopBody();
    this.#sent();
  };

  #onBodyClose = (): void => {
    // Closed before its end: the client went away mid-body. Let the response's own close (the engine
    // then aborts with "client went away") speak first; fail here only if nothing else did.
    const ex = this.current;
    setImmediate(() => {
      if (this.current === ex && ex !== undefined && !this.#requestSent) {
        this.#fail(socketError("request body ended before its end"));
      }
    });
  };
}
