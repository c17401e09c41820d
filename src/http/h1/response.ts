// One HTTP/1 response as the engine writes it (DownstreamResponse): the head is built by writeHead and
// sent with the first body bytes, so a small response leaves in one socket write (one TLS record on TLS
// connections) instead of one per call. The framing follows RFC 9112 §6: Content-Length when the head
// has one, chunked for HTTP/1.1 otherwise (with trailers), and for HTTP/1.0 the end of the connection.
// HEAD, 1xx, 204 and 304 responses have no body whatever is written (RFC 9110 §6.4.1).
import { EventEmitter } from "node:events";
import { type IncomingHttpHeaders, type OutgoingHttpHeaders, STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import { BAD_VALUE, FIELD_NAME, fieldNameKey } from "../field-syntax.ts";
import type { DownstreamResponse } from "../request-context.ts";

/** The connection as its responses see it. */
export interface ResponseOwner {
  readonly socket: Socket;
  /** The response was ended (everything handed to the socket) or can never end (socket gone). */
  responseDone(res: H1Response): void;
}

/** Bodies up to this size are copied behind the head into one buffer; larger ones go in a corked writev. */
const COALESCE_LIMIT = 64 * 1024;
const CRLF = "\r\n";
const LAST_CHUNK = "0\r\n\r\n";

/** Why writeHead refused a head: as node:http, the engine turns it into a 502 before anything is sent. */
export class InvalidHeadError extends TypeError {
  readonly code = "ERR_INVALID_HTTP_HEAD";
}

let dateSecond = -1;
let dateLine = "";
/** "date: <IMF-fixdate>\r\n" for now, rebuilt at most once a second (RFC 9110 §6.6.1). */
function currentDateLine(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateLine = `date: ${new Date(now).toUTCString()}\r\n`;
  }
  return dateLine;
}

export class H1Response extends EventEmitter implements DownstreamResponse {
  readonly #owner: ResponseOwner;
  readonly #socket: Socket;
  /** The client's HTTP version is 1.0: no chunked coding, keep-alive only when asked. */
  readonly #http10: boolean;
  /** Response to HEAD: the head only. */
  readonly #headRequest: boolean;
  /** What a keep-alive HTTP/1.1 response says about the connection (server.ts: keep-alive and its timeout). */
  readonly #keepAliveLines: string;
  /** The connection may carry another request after this response; the engine may clear it. */
  shouldKeepAlive: boolean;
  headersSent = false;
  /** end() was called: the whole response is with the socket. */
  finished = false;
  statusCode = 0;
  /** The head, built and not yet written. */
  #head: string | undefined;
  #chunked = false;
  #noBody = false;
  #trailers: IncomingHttpHeaders | undefined;
  #waitingDrain = false;

  constructor(
    owner: ResponseOwner,
    http10: boolean,
    headRequest: boolean,
    keepAlive: boolean,
    keepAliveLines: string,
  ) {
    super();
    this.#owner = owner;
    this.#socket = owner.socket;
    this.#http10 = http10;
    this.#headRequest = headRequest;
    this.shouldKeepAlive = keepAlive;
    this.#keepAliveLines = keepAliveLines;
  }

  /** Builds the head; it leaves with the first body bytes or end(). Throws InvalidHeadError for a field
   *  or reason phrase that would break the head (CR, LF, NUL: response splitting), sending nothing. */
  writeHead(
    status: number,
    reasonOrHeaders?: string | OutgoingHttpHeaders | IncomingHttpHeaders,
    maybeHeaders?: OutgoingHttpHeaders | IncomingHttpHeaders,
  ): this {
    if (this.headersSent) return this;
    let reason: string | undefined;
    let headers: OutgoingHttpHeaders | IncomingHttpHeaders | undefined;
    if (typeof reasonOrHeaders === "string") {
      reason = reasonOrHeaders;
      headers = maybeHeaders;
      if (BAD_VALUE.test(reason)) throw new InvalidHeadError("invalid character in reason phrase");
    } else headers = reasonOrHeaders;
    let head = `HTTP/1.1 ${status} ${reason ?? STATUS_CODES[status] ?? ""}\r\n`;
    let contentLength = false;
    let date = false;
    let closeAsked = false;
    if (headers !== undefined) {
      for (const name in headers) {
        const value = headers[name];
        if (value === undefined) continue;
        const key = fieldNameKey(name);
        if (key === undefined) throw new InvalidHeadError(`invalid header name "${name}"`);
        // Fields about this connection and its framing are weir's to write.
        switch (key) {
          case "date":
            date = true;
            break;
          case "connection":
            closeAsked = /(?:^|,)[\t ]*close[\t ]*(?:,|$)/i.test(String(value));
            continue;
          case "keep-alive":
          case "transfer-encoding":
            continue;
          case "content-length":
            contentLength = true;
            break;
        }
        if (typeof value === "string") {
          if (BAD_VALUE.test(value)) throw new InvalidHeadError(`invalid value for header "${name}"`);
          head += `${name}: ${value}\r\n`;
        } else if (typeof value === "number") head += `${name}: ${value}\r\n`;
        else {
          for (const v of value) {
            if (BAD_VALUE.test(v)) throw new InvalidHeadError(`invalid value for header "${name}"`);
            head += `${name}: ${v}\r\n`;
          }
        }
      }
    }
    if (closeAsked) this.shouldKeepAlive = false;
    if (!date) head += currentDateLine();
    this.#noBody = this.#headRequest || status < 200 || status === 204 || status === 304;
    if (!this.#noBody && !contentLength) {
      if (this.#http10)
        this.shouldKeepAlive = false; // the body ends with the connection
      else {
        this.#chunked = true;
        head += "transfer-encoding: chunked\r\n";
      }
    }
    if (!this.shouldKeepAlive) head += "connection: close\r\n";
    else if (this.#http10) head += "connection: keep-alive\r\n";
    else head += this.#keepAliveLines;
    this.#head = `${head}\r\n`;
    this.statusCode = status;
    this.headersSent = true;
    return this;
  }

  write(chunk: Uint8Array | string): boolean {
    if (this.finished) return false;
    if (!this.headersSent) this.writeHead(200);
    if (this.#noBody || chunk.length === 0) return true;
    const socket = this.#socket;
    const head = this.#head;
    this.#head = undefined;
    if (this.#chunked) {
      const size = `${Buffer.byteLength(chunk).toString(16)}\r\n`;
      this.#send(head === undefined ? size : head + size, chunk, CRLF);
    } else this.#send(head, chunk, undefined);
    if (socket.writableNeedDrain) {
      if (!this.#waitingDrain) {
        this.#waitingDrain = true;
        socket.once("drain", () => {
          this.#waitingDrain = false;
          this.emit("drain");
        });
      }
      return false;
    }
    return true;
  }

  end(chunk?: Uint8Array | string): this {
    if (this.finished) return this;
    if (!this.headersSent) this.writeHead(200);
    this.finished = true;
    if (chunk !== undefined && chunk.length > 0 && !this.#noBody) {
      const head = this.#head;
      this.#head = undefined;
      if (this.#chunked) {
        const size = `${Buffer.byteLength(chunk).toString(16)}\r\n`;
        this.#send(head === undefined ? size : head + size, chunk, `\r\n${this.#lastChunk()}`);
      } else this.#send(head, chunk, undefined);
    } else {
      const head = this.#head;
      this.#head = undefined;
      const tail = this.#chunked && !this.#noBody ? this.#lastChunk() : "";
      const text = head === undefined ? tail : head + tail;
      if (text.length > 0) this.#socket.write(text, "latin1");
    }
    this.#owner.responseDone(this);
    return this;
  }

  /** Trailers to send after the body; only a chunked body can carry them (RFC 9112 §7.1.2). */
  addTrailers(trailers: IncomingHttpHeaders): void {
    this.#trailers = trailers;
  }

  /** "100 Continue" before the final response (RFC 9110 §15.2.1); HTTP/1.0 clients do not know it. */
  writeContinue(): void {
    if (!this.headersSent && !this.#http10 && !this.#socket.destroyed)
      this.#socket.write("HTTP/1.1 100 Continue\r\n\r\n");
  }

  /** Cuts the response: the connection closes, and the client sees an incomplete message. */
  destroy(): void {
    this.#socket.destroy();
  }

  /** The last chunk and the trailer section (invalid trailer fields are dropped, not sent). */
  #lastChunk(): string {
    const trailers = this.#trailers;
    if (trailers === undefined) return LAST_CHUNK;
    let text = "0\r\n";
    for (const name in trailers) {
      const value = trailers[name];
      if (value === undefined || !FIELD_NAME.test(name)) continue;
      for (const v of Array.isArray(value) ? value : [value])
        if (!BAD_VALUE.test(v)) text += `${name}: ${v}\r\n`;
    }
    return `${text}\r\n`;
  }

  /** One socket write for prefix + body + suffix (copied together when small, else a corked writev). */
  #send(prefix: string | undefined, body: Uint8Array | string, suffix: string | undefined): void {
    const socket = this.#socket;
    if (prefix === undefined && suffix === undefined) {
      socket.write(body);
      return;
    }
    // A string body (a reply's text) may hold any Unicode: encoded on its own, the head stays latin1.
    if (typeof body === "string") body = Buffer.from(body);
    if (body.length <= COALESCE_LIMIT) {
      const pre = prefix === undefined ? 0 : prefix.length;
      const post = suffix === undefined ? 0 : suffix.length;
      const out = Buffer.allocUnsafe(pre + body.length + post);
      if (prefix !== undefined) out.write(prefix, 0, "latin1");
      out.set(body, pre);
      if (suffix !== undefined) out.write(suffix, pre + body.length, "latin1");
      socket.write(out);
      return;
    }
    socket.cork();
    if (prefix !== undefined) socket.write(prefix, "latin1");
    socket.write(body);
    if (suffix !== undefined) socket.write(suffix, "latin1");
    socket.uncork();
  }
}
