// An incremental parser of HTTP/1.0 and 1.1 requests (RFC 9112) for weir's HTTP/1 front end: the request
// line and fields of each head, then the body as its framing says (§6.3): none, Content-Length, or chunked
// (trailers are read and dropped). Body bytes are handed on as views of the received buffers.
//
// It refuses what could make weir and the upstream disagree about where a request ends (request
// smuggling): a bare CR or LF, obs-fold, whitespace before a field's colon, an invalid field name or
// value, differing Content-Length values, Transfer-Encoding together with Content-Length, a
// Transfer-Encoding whose final coding is not chunked, Transfer-Encoding on HTTP/1.0 (§6.1), a bad chunk
// size. Each is an HttpError (400, or 431 for a head over the size limit) thrown from execute(); the
// connection answers it and closes.
import { BodyDecoder } from "../body-decoder.ts";
import { HttpError, type HttpErrorCode } from "../errors.ts";
import { BAD_VALUE, fieldNameKey, HEAD_PEEK, hasBareLf, latin1, trimOws } from "../field-syntax.ts";

/** What the engine and the connection need from a parsed request head. */
export interface RequestHead {
  method: string;
  /** The request-target as sent (origin-, absolute-, authority- or asterisk-form). */
  target: string;
  version: "1.0" | "1.1";
  /** Field lines as received: [name, value, ...], names as the client spelled them. */
  rawHeaders: string[];
  /** Declared Content-Length, -1 when absent. */
  contentLength: number;
  chunked: boolean;
  /** The connection may carry another request after this one (RFC 9112 §9.3). */
  keepAlive: boolean;
  /** "Connection: upgrade" and an Upgrade field: the client asks to switch protocols (RFC 9110 §7.8). */
  upgrade: string | undefined;
}

export interface RequestSink {
  onHead(head: RequestHead): void;
  onBody(chunk: Buffer): void;
  /** The request's body (if any) is complete. */
  onEnd(): void;
}

/** Where the parser is in a request (plain numbers: enums are not erasable syntax). */
const State = {
  Head: 0,
  /** The body, as the decoder reads it (http/body-decoder.ts); its trailers are dropped. */
  Body: 1,
  /** A request is complete; nothing more is read until next() starts the following one. */
  Done: 2,
  /** The connection is no longer HTTP (CONNECT, upgrade): nothing more is parsed. */
  Stopped: 3,
} as const;
type State = (typeof State)[keyof typeof State];

const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([\x21-\x7e\x80-\xff]+) HTTP\/1\.([01])$/;
const DIGITS = /^\d+$/;
const CHUNKED_LAST = /(?:^|,)[\t ]*chunked[\t ]*$/i;

function bad(message: string, code: HttpErrorCode = "BAD_REQUEST"): HttpError {
  return new HttpError(code, new Error(message));
}

/** Whether a comma-separated field value lists `token` (lower case), case-insensitively. */
function hasToken(value: string, token: string): boolean {
  const v = value.toLowerCase();
  let at = v.indexOf(token);
  while (at >= 0) {
    const before = at === 0 ? 0x2c : v.charCodeAt(at - 1);
    const after = at + token.length === v.length ? 0x2c : v.charCodeAt(at + token.length);
    if (
      (before === 0x2c || before === 0x20 || before === 0x09) &&
      (after === 0x2c || after === 0x20 || after === 0x09)
    )
      return true;
    at = v.indexOf(token, at + 1);
  }
  return false;
}

export class RequestParser {
  readonly #sink: RequestSink;
  /** Longest head (request line and fields) accepted; more is a 431. */
  readonly #maxHead: number;
  #state: State = State.Head;
  /** Head bytes received so far and not yet complete. */
  #pending: Buffer | undefined;
  readonly #body = new BodyDecoder(bad);
  readonly #onBody: (chunk: Buffer) => void;

  constructor(sink: RequestSink, maxHead: number) {
    this.#sink = sink;
    this.#maxHead = maxHead;
    this.#onBody = (chunk) => sink.onBody(chunk);
  }

  /** Whether a request is complete and the parser waits for next(). */
  get done(): boolean {
    return this.#state === State.Done;
  }

  /** Whether bytes of a head are buffered (a request has begun to arrive). */
  get inHead(): boolean {
    return this.#state === State.Head && this.#pending !== undefined;
  }

  /** Whether the current request's body is still arriving. */
  get inBody(): boolean {
    return this.#state === State.Body;
  }

  /** The bytes after the current head are not HTTP (a tunnel): execute() takes none of them. */
  stop(): void {
    this.#state = State.Stopped;
    this.#pending = undefined;
    this.#body.stop();
  }

  /** Start reading the next request. */
  next(): void {
    this.#state = State.Head;
    this.#pending = undefined;
    this.#body.stop();
  }

  /**
   * Feeds received bytes from `at`. Returns where it stopped: `data.length` when all were taken, less
   * when a request is complete (the rest belongs to the next request, or to a tunnel after CONNECT or
   * an upgrade). A sink callback may call stop-like methods of its owner; the parser only reads
   * `#state` after them. Throws an HttpError on a malformed request.
   */
  execute(data: Buffer, at: number): number {
    while (at < data.length) {
      switch (this.#state) {
        case State.Head:
          at = this.#readHead(data, at);
          break;
        case State.Body:
          at = this.#body.step(data, at, this.#onBody);
          if (this.#body.ended !== undefined && this.#state === State.Body) {
            this.#state = State.Done;
            this.#sink.onEnd();
          }
          break;
        case State.Done:
        case State.Stopped:
          return at;
      }
    }
    return at;
  }

  /** Collects bytes until `\r\n\r\n` (or the limit), then parses the head. */
  #readHead(data: Buffer, at: number): number {
    // RFC 9112 §2.2: empty lines before a request line are ignored (robustness after a body's CRLF).
    if (this.#pending === undefined) {
      while (at + 1 < data.length && data[at] === 0x0d && data[at + 1] === 0x0a) at += 2;
      if (at === data.length) return at;
      // Fast path: the whole head in the first HEAD_PEEK bytes of this read (almost always).
      const text = latin1(data, at, Math.min(data.length, at + HEAD_PEEK));
      const end = text.indexOf("\r\n\r\n");
      if (end >= 0) {
        if (end > this.#maxHead) throw bad("request head too large", "HEADERS_TOO_LARGE");
        this.#parseHead(text.slice(0, end));
        return at + end + 4;
      }
    }
    const pending = this.#pending;
    const buf = pending === undefined ? data : Buffer.concat([pending, data.subarray(at)]);
    const from = pending === undefined ? at : pending.length;
    const start = pending === undefined ? at : 0;
    // The terminator may straddle the previous read: search from just before the new bytes.
    const end = buf.indexOf("\r\n\r\n", pending === undefined ? at : Math.max(0, from - 3), "latin1");
    if (end < 0) {
      if (buf.length - start > this.#maxHead) throw bad("request head too large", "HEADERS_TOO_LARGE");
      // A head that will never end in CRLF CRLF (an LF-only client) is refused now, not at the timeout.
      if (hasBareLf(buf, Math.max(start, from - 1))) throw bad("bare LF in request head");
      this.#pending = pending === undefined ? Buffer.from(data.subarray(at)) : buf;
      return data.length;
    }
    if (end - start > this.#maxHead) throw bad("request head too large", "HEADERS_TOO_LARGE");
    this.#pending = undefined;
    const next = at + (end + 4 - from);
    this.#parseHead(latin1(buf, start, end));
    return next;
  }

  #parseHead(text: string): void {
    // Empty lines before the request line that the skip in #readHead could not see (split reads).
    let skip = 0;
    while (text.charCodeAt(skip) === 0x0d && text.charCodeAt(skip + 1) === 0x0a) skip += 2;
    const head = skip === 0 ? text : text.slice(skip);
    // Lines end only at CRLF: a bare CR or LF stays inside a line, where the request line pattern, the
    // name pattern or the value check refuses it, as any other control character.
    let lineEnd = head.indexOf("\r\n");
    const m = REQUEST_LINE.exec(lineEnd < 0 ? head : head.slice(0, lineEnd));
    if (m === null) throw bad("invalid request line");
    const version = m[3] === "1" ? "1.1" : "1.0";
    const rawHeaders: string[] = [];
    let contentLength = -1;
    let transferEncoding: string | undefined;
    let connection: string | undefined;
    let upgrade: string | undefined;
    while (lineEnd >= 0) {
      const start = lineEnd + 2;
      lineEnd = head.indexOf("\r\n", start);
      const end = lineEnd < 0 ? head.length : lineEnd;
      const colon = head.indexOf(":", start);
      if (colon <= start || colon >= end)
        throw bad(head.charCodeAt(start) <= 0x20 ? "obs-fold in request head" : "invalid field line");
      const name = head.slice(start, colon);
      // Whitespace before the colon fails here too (RFC 9112 §5.1: it MUST be rejected).
      const key = fieldNameKey(name);
      if (key === undefined) throw bad("invalid field name");
      const value = trimOws(head, colon + 1, end);
      if (BAD_VALUE.test(value)) throw bad("control character, bare CR or bare LF in a field value");
      rawHeaders.push(name, value);
      // Only the fields that decide framing and the connection's fate are read here.
      switch (key) {
        case "content-length": {
          const n = contentLengthValue(value);
          if (contentLength >= 0 && n !== contentLength) throw bad("differing Content-Length values");
          contentLength = n;
          break;
        }
        case "transfer-encoding":
          transferEncoding = transferEncoding === undefined ? value : `${transferEncoding},${value}`;
          break;
        case "connection":
          connection = connection === undefined ? value : `${connection},${value}`;
          break;
        case "upgrade":
          upgrade = value;
          break;
      }
    }
    let chunked = false;
    if (transferEncoding !== undefined) {
      // RFC 9112 §6.1 and §6.3: on HTTP/1.0, with a Content-Length, or without chunked as the final
      // coding, the request's end cannot be known for sure; a proxy must not guess.
      if (version === "1.0") throw bad("Transfer-Encoding on HTTP/1.0");
      if (contentLength >= 0) throw bad("Transfer-Encoding together with Content-Length");
      if (!CHUNKED_LAST.test(transferEncoding)) throw bad("Transfer-Encoding without final chunked");
      chunked = true;
    }
    const keepAlive =
      connection === undefined
        ? version === "1.1"
        : version === "1.1"
          ? !hasToken(connection, "close")
          : hasToken(connection, "keep-alive") && !hasToken(connection, "close");
    const head_: RequestHead = {
      method: m[1]!,
      target: m[2]!,
      version,
      rawHeaders,
      contentLength,
      chunked,
      keepAlive,
      upgrade:
        upgrade !== undefined && connection !== undefined && hasToken(connection, "upgrade")
          ? upgrade
          : undefined,
    };
    if (chunked) {
      this.#body.expectChunked();
      this.#state = State.Body;
    } else if (contentLength > 0) {
      this.#body.expectLength(contentLength);
      this.#state = State.Body;
    } else this.#state = State.Done;
    this.#sink.onHead(head_);
    if (this.#state === State.Done) this.#sink.onEnd();
  }
}

/** A Content-Length value: digits, or a list of identical ones (RFC 9110 §8.6). */
function contentLengthValue(value: string): number {
  if (DIGITS.test(value)) {
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw bad("invalid Content-Length");
    return n;
  }
  const parts = value.split(",");
  let n = -1;
  for (const part of parts) {
    const v = trimOws(part, 0);
    if (!DIGITS.test(v)) throw bad("invalid Content-Length");
    const m = Number(v);
    if (!Number.isSafeInteger(m) || (n >= 0 && m !== n)) throw bad("invalid Content-Length");
    n = m;
  }
  return n;
}
