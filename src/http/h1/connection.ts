// One client connection of weir's HTTP/1 front end. Requests are served one at a time, in order: the
// bytes of a pipelined request wait (and the socket stops reading) until the response before it is out
// (RFC 9112 §9.3.2). A body is read into the request's stream with backpressure; a body the response did
// not wait for is read and dropped, so the connection stays usable. CONNECT and WebSocket upgrades leave
// HTTP here: the socket and the bytes after their head go to the tunnel code.
//
// Timeouts are checked by the server's one coarse sweep (server.ts), which reads `phase` and `since`.
import type { Socket } from "node:net";
import { HttpError } from "../errors.ts";
import type { ProxyEngine } from "../proxy.ts";
import { type ConnectionState, RequestContext } from "../request-context.ts";
import { connectOverHttp1, SocketResponse, websocketUpgrade } from "../tunnels.ts";
import { type BodySource, H1Request, RequestBody } from "./request.ts";
import { type RequestHead, RequestParser, type RequestSink } from "./request-parser.ts";
import { H1Response, type ResponseOwner } from "./response.ts";

/** What a connection is doing, for the timeout sweep (plain numbers: enums are not erasable syntax). */
export const Phase = {
  /** Between requests (keep-alive idle): keepalive_timeout. */
  Idle: 0,
  /** Bytes of a head have arrived, not all of it: header_timeout. */
  Head: 1,
  /** The body is arriving: request_timeout, counted from the head's first byte. */
  Body: 2,
  /** The request is complete; its response is on its way (upstream timeouts apply). */
  Busy: 3,
  /** weir ended its side; the client's FIN (or the sweep) closes it. */
  Closing: 4,
  /** Handed to a tunnel, or closed: no longer HTTP's. */
  Gone: 5,
} as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

/** What the connection needs from its server: settings, the engine, and the list the sweep walks. */
export interface ConnectionOwner {
  readonly engine: ProxyEngine;
  readonly maxHeadSize: number;
  /** Requests per connection before "Connection: close" (0: no limit). */
  readonly maxRequests: number;
  /** Lines that advertise keep-alive on HTTP/1.1 responses. */
  readonly keepAliveLines: string;
  forget(conn: H1Connection): void;
}

export class H1Connection implements RequestSink, ResponseOwner, BodySource {
  readonly socket: Socket;
  readonly #owner: ConnectionOwner;
  readonly #state: ConnectionState;
  readonly #parser: RequestParser;
  phase: Phase = Phase.Idle;
  /** performance.now() when the current phase's clock started. */
  since: number;
  #requests = 0;
  #ctx: RequestContext | undefined;
  #res: H1Response | undefined;
  #body: RequestBody | undefined;
  /** The current response was ended (or the request was answered before its body arrived). */
  #responded = false;
  /** The rest of the current body is read and dropped: its response is already out. */
  #discard = false;
  /** Bytes that arrived after a complete request, waiting until its response is out. */
  #held: Buffer | undefined;
  #bodyPaused = false;
  /** The client sent FIN: no request after the current one. */
  #clientEnded = false;
  /** A CONNECT or WebSocket upgrade head: the bytes after it belong to a tunnel. */
  #tunnel: H1Request | undefined;

  constructor(owner: ConnectionOwner, socket: Socket, state: ConnectionState) {
    this.#owner = owner;
    this.socket = socket;
    this.#state = state;
    this.#parser = new RequestParser(this, owner.maxHeadSize);
    this.since = performance.now();
    socket.on("data", this.#onData);
    socket.on("end", this.#onEnd);
    socket.on("close", this.#onClose);
  }

  /** Bytes read before the connection was handed over (protocol detection), then everything else. */
  start(first: Buffer | undefined): void {
    if (first !== undefined && first.length > 0) this.#feed(first, 0);
    if (this.phase !== Phase.Gone) this.#flow();
  }

  #onData = (chunk: Buffer): void => {
    if (this.phase === Phase.Closing || this.phase === Phase.Gone) return;
    if (this.#held !== undefined) {
      this.#held = Buffer.concat([this.#held, chunk]);
      this.#flow();
      return;
    }
    this.#feed(chunk, 0);
  };

  #feed(data: Buffer, at: number): void {
    const idleSince = this.phase === Phase.Idle ? this.since : -1;
    if (idleSince >= 0) {
      this.phase = Phase.Head;
      this.since = performance.now();
    }
    let stop: number;
    try {
      stop = this.#parser.execute(data, at);
    } catch (err) {
      if (err instanceof HttpError) this.#malformed(err);
      else this.#crashed(err);
      return;
    }
    // Only empty lines arrived (RFC 9112 §2.2 lets them precede a request): still idle.
    if (idleSince >= 0 && this.phase === Phase.Head && !this.#parser.inHead) {
      this.phase = Phase.Idle;
      this.since = idleSince;
    }
    if (this.#tunnel !== undefined) {
      this.#startTunnel(this.#tunnel, data.subarray(stop));
      return;
    }
    if (stop < data.length && this.phase !== Phase.Closing && this.phase !== Phase.Gone) {
      // A whole request is in; the next one waits for its response.
      this.#held = data.subarray(stop);
      this.#flow();
    }
  }

  /** Reads the socket unless a held request or a full body stream says to wait. */
  #flow(): void {
    const socket = this.socket;
    if (this.#held !== undefined || this.#bodyPaused) {
      if (!socket.isPaused()) socket.pause();
    } else if (socket.isPaused()) socket.resume();
  }

  onHead(head: RequestHead): void {
    this.#requests++;
    const req = new H1Request(head, this.socket);
    if (head.method === "CONNECT" || (head.upgrade !== undefined && isWebSocket(head.upgrade))) {
      this.#parser.stop();
      this.#tunnel = req;
      return;
    }
    const owner = this.#owner;
    const hasBody = head.chunked || head.contentLength > 0;
    this.phase = hasBody ? Phase.Body : Phase.Busy;
    this.#responded = false;
    this.#discard = false;
    const body = hasBody ? new RequestBody(this) : undefined;
    this.#body = body;
    const keepAlive =
      head.keepAlive &&
      (owner.maxRequests === 0 || this.#requests < owner.maxRequests) &&
      !owner.engine.draining;
    const res = new H1Response(
      this,
      head.version === "1.0",
      head.method === "HEAD",
      keepAlive,
      owner.keepAliveLines,
    );
    this.#res = res;
    const ctx = new RequestContext(this.#state, req, res, false, body);
    this.#ctx = ctx;
    owner.engine.serve(ctx);
  }

  onBody(chunk: Buffer): void {
    const body = this.#body;
    if (this.#discard || body === undefined) return;
    if (!body.push(chunk)) {
      this.#bodyPaused = true;
      this.#flow();
    }
  }

  onEnd(): void {
    const body = this.#body;
    if (body !== undefined && !this.#discard) body.push(null);
    this.#bodyPaused = false;
    if (this.#responded) this.#nextRequest();
    else if (this.phase === Phase.Body) this.phase = Phase.Busy;
  }

  bodyWanted(): void {
    if (!this.#bodyPaused) return;
    this.#bodyPaused = false;
    this.#flow();
  }

  responseDone(res: H1Response): void {
    if (res !== this.#res || this.#responded) return;
    this.#responded = true;
    res.emit("close");
    if (this.phase === Phase.Gone || this.socket.destroyed) return;
    // After the client's FIN, requests it sent before it are still answered (they wait in #held).
    const finished = this.#clientEnded && this.#held === undefined && this.#parser.done;
    if (!res.shouldKeepAlive || finished || this.#owner.engine.draining) {
      this.close();
      return;
    }
    if (this.#parser.done) {
      this.#nextRequest();
      return;
    }
    // The answer came before the whole body: read the rest and drop it, then serve the next request.
    this.#discard = true;
    this.#bodyPaused = false;
    this.#flow();
  }

  #nextRequest(): void {
    this.#ctx = undefined;
    this.#res = undefined;
    this.#body = undefined;
    this.#discard = false;
    this.#parser.next();
    this.phase = Phase.Idle;
    this.since = performance.now();
    const held = this.#held;
    if (held === undefined) return;
    this.#held = undefined;
    this.#flow();
    this.#feed(held, 0);
  }

  /** weir is done with the connection: FIN now; the client's FIN or the sweep's grace closes it. */
  close(): void {
    if (this.phase === Phase.Closing || this.phase === Phase.Gone) return;
    this.phase = Phase.Closing;
    this.since = performance.now();
    this.#held = undefined;
    this.#bodyPaused = false;
    this.#flow();
    this.socket.end();
  }

  /** Part of a head is buffered: the header timeout runs, whatever the phase says. */
  get inHead(): boolean {
    return this.#parser.inHead;
  }

  /** The head did not arrive within header_timeout. */
  headTimedOut(): void {
    this.#malformed(new HttpError("HEADER_TIMEOUT"));
  }

  /** The body did not arrive within request_timeout. */
  requestTimedOut(): void {
    const ctx = this.#ctx;
    if (ctx !== undefined && !this.#responded) this.#owner.engine.fail(ctx, new HttpError("HEADER_TIMEOUT"));
    else this.socket.destroy();
  }

  /** A malformed or too-slow request: counted, logged, answered when nothing else is being answered. */
  #malformed(err: HttpError): void {
    const engine = this.#owner.engine;
    engine.gen.metrics.protocolErrors.labels(engine.listener, err.code).inc();
    engine.gen.log.debug(
      { listener: engine.listener, code: err.code, cause: (err.cause as Error | undefined)?.message },
      "bad HTTP/1 request",
    );
    this.#parser.stop();
    this.#held = undefined;
    const ctx = this.#ctx;
    // The bad bytes were the rest of a body whose response is already out: nothing more to say.
    if (ctx !== undefined && this.#responded) {
      this.socket.destroy();
      return;
    }
    // A bad body of a request being proxied: answered through its response (the engine aborts the
    // upstream request and closes the connection).
    if (ctx !== undefined) {
      this.#body?.destroy(err);
      if (!ctx.res.headersSent) {
        engine.fail(ctx, err);
        return;
      }
      this.socket.destroy();
      return;
    }
    // Between requests: a short answer, then the connection closes.
    const socket = this.socket;
    if (socket.writable) {
      const body = `${err.status} ${err.message}\n`;
      socket.write(
        `HTTP/1.1 ${err.status} ${statusText(err.status)}\r\nconnection: close\r\ncontent-type: text/plain\r\n` +
          `content-length: ${body.length}\r\n\r\n${body}`,
      );
    }
    this.close();
  }

  /** Something other than the parser threw while serving (a bug): logged, and only this connection ends. */
  #crashed(err: unknown): void {
    const engine = this.#owner.engine;
    engine.gen.log.error({ listener: engine.listener, err }, "HTTP/1 connection failed");
    this.socket.destroy();
  }

  #startTunnel(req: H1Request, rest: Buffer): void {
    this.#detach();
    const socket = this.socket;
    const res = new SocketResponse(socket, rest);
    const dispatch = req.method === "CONNECT" ? connectOverHttp1 : websocketUpgrade;
    this.#owner.engine.serve(new RequestContext(this.#state, req, res, false), dispatch);
  }

  /** The socket is no longer read or watched here (a tunnel takes it, or it closed). */
  #detach(): void {
    this.phase = Phase.Gone;
    const socket = this.socket;
    socket.pause();
    socket.off("data", this.#onData);
    socket.off("end", this.#onEnd);
    socket.off("close", this.#onClose);
    this.#owner.forget(this);
  }

  /** The client sent FIN. */
  #onEnd = (): void => {
    this.#clientEnded = true;
    switch (this.phase) {
      case Phase.Idle:
      case Phase.Closing:
        this.socket.end();
        return;
      case Phase.Head:
      case Phase.Body:
        // A request cut short cannot be answered sensibly.
        this.socket.destroy();
        return;
      default:
      // Busy: the response still goes out (half-close); the connection closes after it.
    }
  };

  #onClose = (): void => {
    this.#detach();
    const res = this.#res;
    if (res !== undefined && !this.#responded) {
      this.#responded = true;
      if (this.#body !== undefined && this.#parser.inBody)
        this.#body.destroy(new Error("client connection closed"));
      res.emit("close");
    }
  };
}

function isWebSocket(upgrade: string): boolean {
  return upgrade.trim().toLowerCase() === "websocket";
}

function statusText(status: number): string {
  return status === 431
    ? "Request Header Fields Too Large"
    : status === 408
      ? "Request Timeout"
      : "Bad Request";
}
