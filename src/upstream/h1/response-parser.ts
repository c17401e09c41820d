// An incremental parser of HTTP/1.1 responses (RFC 9112) for weir's upstream connections: the status
// line and fields of each head, then the body as its framing says (§6.3): none (HEAD, 1xx, 204, 304),
// Content-Length, chunked with trailers, or everything until the connection closes. Body bytes are handed
// on as views of the received buffers, never copied.
//
// It is strict where leniency would let an upstream smuggle a second response past weir: bare CR or LF,
// obs-fold (§5.2 lets a proxy answer 502 instead of unfolding), invalid field names or values, and
// differing Content-Length values are all errors, which the connection turns into a 502.
//
// The head it hands on has no hop-by-hop fields (RFC 9110 §7.6.1): this client exists to proxy, so the
// fields that only concern this connection are read for framing and reuse, then left out.
import type { IncomingHttpHeaders } from "node:http";
import { appendField, BodyDecoder, NO_TRAILERS } from "../../http/body-decoder.ts";
import { HttpError } from "../../http/errors.ts";
import { BAD_VALUE, fieldNameKey, HEAD_PEEK, hasBareLf, latin1, trimOws } from "../../http/field-syntax.ts";
import { HOP_BY_HOP_SET } from "../../http/headers.ts";

/** Longest response head accepted (status line and fields); more is a 502. */
export const MAX_RESPONSE_HEAD = 64 * 1024;

export interface ResponseSink {
  /** A final (non-1xx) head arrived. */
  onHead(status: number, reason: string, headers: IncomingHttpHeaders): void;
  onBody(chunk: Buffer): void;
  /** The response is complete; `trailers` is empty unless a chunked body carried some. */
  onEnd(trailers: IncomingHttpHeaders): void;
}

/** Where the parser is in a response (plain numbers: enums are not erasable syntax). */
const State = {
  Head: 0,
  /** The body, as the decoder reads it (http/body-decoder.ts). */
  Body: 1,
  Done: 2,
} as const;
type State = (typeof State)[keyof typeof State];

const STATUS_LINE = /^HTTP\/1\.[01] ([1-9]\d\d)(?: ([\t\x20-\x7e\x80-\xff]*))?$/;

const DIGITS = /^\d+$/;

/** Drops the fields a Connection header named (RFC 9110 §7.6.1); Content-Length frames the body, so stays. */
function dropNamed(headers: IncomingHttpHeaders, tokens: string): void {
  for (const token of tokens.split(",")) {
    const name = token.trim();
    if (name.length > 0 && name !== "content-length") delete headers[name];
  }
}

function bad(message: string): HttpError {
  return new HttpError("BAD_RESPONSE", new Error(message));
}

export class ResponseParser {
  #sink: ResponseSink;
  #state: State = State.Done;
  /** Bumped by expect() and stop(): a callback that started another response or stopped this one. */
  #epoch = 0;
  /** The response just ended (onEnd called): execute() returns what is left of its input. */
  #ended = false;
  #noBody = false;
  /** Head bytes received so far and not yet complete. */
  #pending: Buffer | undefined;
  readonly #body = new BodyDecoder(bad);
  readonly #onBody: (chunk: Buffer) => void;
  /** The response ends when the connection does: it cannot be reused. */
  closeDelimited = false;
  /** The upstream asked for the connection to close after this response (Connection: close, HTTP/1.0). */
  closeAfter = false;
  /** A server's "Keep-Alive: timeout=N" hint in ms, or -1. */
  keepAliveMs = -1;

  constructor(sink: ResponseSink) {
    this.#sink = sink;
    this.#onBody = (chunk) => sink.onBody(chunk);
  }

  /** Expect a new response; `noBody` for HEAD requests (RFC 9110 §9.3.2). */
  expect(noBody: boolean): void {
    this.#epoch++;
    this.#state = State.Head;
    this.#noBody = noBody;
    this.#pending = undefined;
    this.#body.stop();
    this.closeDelimited = false;
    this.closeAfter = false;
    this.keepAliveMs = -1;
  }

  /** Forget the current response (aborted): nothing more is parsed or reported. */
  stop(): void {
    this.#epoch++;
    this.#state = State.Done;
    this.#pending = undefined;
    this.#body.stop();
  }

  #end(trailers: IncomingHttpHeaders): void {
    this.#state = State.Done;
    this.#ended = true;
    this.#sink.onEnd(trailers);
  }

  get idle(): boolean {
    return this.#state === State.Done;
  }

  /** Whether anything of the current response arrived (a head was being or has been read). */
  get started(): boolean {
    return this.#state !== State.Head || this.#pending !== undefined;
  }

  /**
   * Feeds received bytes. Returns the number of bytes past the end of the response (a server that sent
   * more than one response's worth: the connection cannot be trusted with another request), or 0.
   * Throws an HttpError (BAD_RESPONSE) on a malformed response; the caller then closes the connection.
   */
  execute(data: Buffer): number {
    const epoch = this.#epoch;
    this.#ended = false;
    let at = 0;
    while (at < data.length) {
      if (this.#ended) {
        this.#ended = false;
        return data.length - at;
      }
      if (this.#epoch !== epoch) return 0;
      switch (this.#state) {
        case State.Head:
          at = this.#readHead(data, at);
          break;
        case State.Body: {
          at = this.#body.step(data, at, this.#onBody);
          const trailers = this.#body.ended;
          if (trailers !== undefined && this.#epoch === epoch) this.#end(trailers);
          break;
        }
        case State.Done:
          return this.#epoch === epoch ? data.length - at : 0;
      }
    }
    this.#ended = false;
    return 0;
  }

  /** The connection ended: a close-delimited body is complete; anything else was cut short. */
  finishOnClose(): boolean {
    if (this.#state === State.Body && this.#body.finishOnClose()) {
      this.#end(NO_TRAILERS);
      return true;
    }
    return this.#state === State.Done;
  }

  /** Collects bytes until `\r\n\r\n` (or the limit), then parses the head. */
  #readHead(data: Buffer, at: number): number {
    if (this.#pending === undefined) {
      // Fast path: the whole head in the first HEAD_PEEK bytes of this read (almost always).
      const text = latin1(data, at, Math.min(data.length, at + HEAD_PEEK));
      const end = text.indexOf("\r\n\r\n");
      if (end >= 0) {
        this.#parseHead(text.slice(0, end));
        return at + end + 4;
      }
    }
    const { buf, from } = this.#withPending(data, at);
    const start = buf === data ? at : 0;
    // The terminator may straddle the previous read: search from just before the new bytes.
    const end = buf.indexOf("\r\n\r\n", buf === data ? at : Math.max(0, from - 3), "latin1");
    if (end < 0) {
      if (buf.length - start > MAX_RESPONSE_HEAD) throw bad("response head too large");
      // A head that will never end in CRLF CRLF (an LF-only server) is refused now, not at the timeout.
      if (hasBareLf(buf, Math.max(start, from - 1))) throw bad("bare LF in response head");
      this.#pending = buf === data ? Buffer.from(data.subarray(at)) : buf;
      return data.length;
    }
    if (end - start > MAX_RESPONSE_HEAD) throw bad("response head too large");
    this.#pending = undefined;
    const next = at + (end + 4 - from);
    this.#parseHead(latin1(buf, start, end));
    return next;
  }

  /** `data` from `at` appended to what is pending; `from` is where `data[at]` sits in the result. */
  #withPending(data: Buffer, at: number): { buf: Buffer; from: number } {
    const pending = this.#pending;
    if (pending === undefined) return { buf: data, from: at };
    return { buf: Buffer.concat([pending, data.subarray(at)]), from: pending.length };
  }

  #parseHead(head: string): void {
    // Lines end only at CRLF: a bare CR or LF stays inside a line, where the status line pattern, the
    // name pattern or the value check refuses it, as any other control character.
    let lineEnd = head.indexOf("\r\n");
    const statusLine = lineEnd < 0 ? head : head.slice(0, lineEnd);
    const m = STATUS_LINE.exec(statusLine);
    if (m === null) throw bad("invalid status line");
    const status = Number(m[1]);
    const reason = m[2] ?? "";
    const headers: IncomingHttpHeaders = {};
    let contentLength = -1;
    let chunked = false;
    let transferEncoding = false;
    let connectionClose = statusLine.charCodeAt(7) === 0x30; // HTTP/1.0: close unless keep-alive
    let connectionNames: string | undefined;
    while (lineEnd >= 0) {
      const start = lineEnd + 2;
      lineEnd = head.indexOf("\r\n", start);
      const end = lineEnd < 0 ? head.length : lineEnd;
      const colon = head.indexOf(":", start);
      if (colon <= start || colon >= end)
        throw bad(head.charCodeAt(start) <= 0x20 ? "obs-fold in response head" : "invalid field line");
      const name = fieldNameKey(head.slice(start, colon));
      if (name === undefined) throw bad("invalid field name");
      const value = trimOws(head, colon + 1, end);
      if (BAD_VALUE.test(value)) throw bad("control character, bare CR or bare LF in a field value");
      switch (name) {
        case "content-length": {
          if (!DIGITS.test(value)) throw bad("invalid Content-Length");
          const n = Number(value);
          if (contentLength >= 0 && n !== contentLength) throw bad("differing Content-Length values");
          if (!Number.isSafeInteger(n)) throw bad("invalid Content-Length");
          contentLength = n;
          break;
        }
        case "transfer-encoding":
          transferEncoding = true;
          // Only a final "chunked" coding frames the body (RFC 9112 §6.3).
          chunked = /(?:^|,)\s*chunked\s*$/i.test(value);
          break;
        case "connection": {
          const v = value.toLowerCase();
          if (v.includes("close")) connectionClose = true;
          else if (v.includes("keep-alive")) connectionClose = false;
          else connectionNames = connectionNames === undefined ? v : `${connectionNames},${v}`;
          break;
        }
        case "keep-alive": {
          const t = /timeout\s*=\s*(\d+)/i.exec(value);
          if (t !== null) this.keepAliveMs = Number(t[1]) * 1000;
          break;
        }
      }
      // Fields about the connection to the upstream (RFC 9110 §7.6.1) were read above; never handed on.
      if (!HOP_BY_HOP_SET.has(name)) appendField(headers, name, value);
    }
    if (connectionNames !== undefined) dropNamed(headers, connectionNames);
    if (status < 200) {
      // 101 answers an upgrade weir never asks for here; other 1xx are interim: the final head follows.
      if (status === 101) throw bad("unexpected 101 Switching Protocols");
      this.#state = State.Head;
      return;
    }
    this.closeAfter = connectionClose;
    if (this.#noBody || status === 204 || status === 304) {
      this.#finishHead(status, reason, headers, State.Done);
      return;
    }
    if (transferEncoding) {
      // Transfer-Encoding overrides Content-Length (RFC 9112 §6.3): the length is not passed on, since it
      // does not describe the decoded body, and such a message must not leave the connection reusable.
      if (contentLength >= 0) {
        this.closeAfter = true;
        delete headers["content-length"];
      }
      if (chunked) {
        this.#body.expectChunked();
        this.#finishHead(status, reason, headers, State.Body);
        return;
      }
      this.closeDelimited = true;
      this.#body.expectUntilClose();
      this.#finishHead(status, reason, headers, State.Body);
      return;
    }
    if (contentLength > 0) {
      this.#body.expectLength(contentLength);
      this.#finishHead(status, reason, headers, State.Body);
      return;
    }
    if (contentLength === 0) {
      this.#finishHead(status, reason, headers, State.Done);
      return;
    }
    this.closeDelimited = true;
    this.#body.expectUntilClose();
    this.#finishHead(status, reason, headers, State.Body);
  }

  #finishHead(status: number, reason: string, headers: IncomingHttpHeaders, next: State): void {
    this.#state = next;
    const epoch = this.#epoch;
    this.#sink.onHead(status, reason, headers);
    if (next === State.Done && this.#epoch === epoch) this.#end(NO_TRAILERS);
  }
}
