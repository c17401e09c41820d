// The body of an HTTP/1 message as its framing says (RFC 9112 §6.3, §7.1): a Content-Length count,
// chunked with a trailer section, or everything until the connection closes. Shared by weir's two
// HTTP/1 parsers (client requests in h1/request-parser.ts, upstream responses in
// upstream/h1/response-parser.ts), which read the heads and own what happens around the body.
//
// Body bytes go to the sink as views of the received buffers, never copied. The decoder works one step
// at a time (step()), so a parser can notice between steps that a sink callback stopped or restarted it.
import type { IncomingHttpHeaders } from "node:http";
import type { HttpError } from "./errors.ts";
import { BAD_SECTION_TEXT, chunkSizeOf, fieldNameKey, latin1, trimOws } from "./field-syntax.ts";

/** Longest chunk-size line (size, extensions) or trailer section accepted. */
const MAX_CHUNK_LINE = 4 * 1024;

/** A body that ended without trailer fields (frozen: shared by every message). */
export const NO_TRAILERS: IncomingHttpHeaders = Object.freeze({}) as IncomingHttpHeaders;

const Step = {
  Idle: 0,
  Length: 1,
  ChunkSize: 2,
  ChunkData: 3,
  ChunkDataEnd: 4,
  Trailers: 5,
  UntilClose: 6,
} as const;
type Step = (typeof Step)[keyof typeof Step];

/** Adds a field under its lower-case `name`; a repeated field becomes an array, in order (as undici does). */
export function appendField(fields: IncomingHttpHeaders, name: string, value: string): void {
  const f = fields as Record<string, string | string[]>;
  const prev = f[name];
  if (prev === undefined) f[name] = value;
  else if (typeof prev === "string") f[name] = [prev, value];
  else prev.push(value);
}

export class BodyDecoder {
  /** Makes the error a malformed body is refused with (400 for a request, 502 for a response). */
  readonly #bad: (message: string) => HttpError;
  #step: Step = Step.Idle;
  #remaining = 0;
  /** Bytes of a chunk-size line or trailer section received so far and not yet complete. */
  #pending: Buffer | undefined;
  /** Set by the step that completed the body: its trailer fields (NO_TRAILERS when none). */
  ended: IncomingHttpHeaders | undefined;

  constructor(bad: (message: string) => HttpError) {
    this.#bad = bad;
  }

  /** A body of exactly `n` bytes (n > 0). */
  expectLength(n: number): void {
    this.#reset(Step.Length);
    this.#remaining = n;
  }

  expectChunked(): void {
    this.#reset(Step.ChunkSize);
  }

  /** A body that ends when the connection does (see finishOnClose()). */
  expectUntilClose(): void {
    this.#reset(Step.UntilClose);
  }

  /** Forget the current body. */
  stop(): void {
    this.#reset(Step.Idle);
  }

  /** Whether the body runs until the connection closes. */
  get untilClose(): boolean {
    return this.#step === Step.UntilClose;
  }

  /** Whether a body is being read (not yet complete). */
  get active(): boolean {
    return this.#step !== Step.Idle;
  }

  /** The connection closed: a close-delimited body is complete now. */
  finishOnClose(): boolean {
    if (this.#step !== Step.UntilClose) return false;
    this.#finish(NO_TRAILERS);
    return true;
  }

  #reset(step: Step): void {
    this.#step = step;
    this.#pending = undefined;
    this.ended = undefined;
  }

  #finish(trailers: IncomingHttpHeaders): void {
    this.#step = Step.Idle;
    this.#pending = undefined;
    this.ended = trailers;
  }

  /**
   * Takes the next piece of `data` from `at` and returns where it stopped. Body bytes go to `onBody`
   * (after the decoder's own state is updated, so the callback may stop or restart it). When this step
   * completed the body, `ended` holds its trailers. Throws the constructor's error on a malformed body.
   */
  step(data: Buffer, at: number, onBody: (chunk: Buffer) => void): number {
    switch (this.#step) {
      case Step.Length: {
        const n = Math.min(this.#remaining, data.length - at);
        this.#remaining -= n;
        const chunk = at === 0 && n === data.length ? data : data.subarray(at, at + n);
        if (this.#remaining === 0) this.#finish(NO_TRAILERS);
        onBody(chunk);
        return at + n;
      }
      case Step.ChunkSize:
        return this.#readChunkSize(data, at);
      case Step.ChunkData: {
        const n = Math.min(this.#remaining, data.length - at);
        this.#remaining -= n;
        if (this.#remaining === 0) {
          this.#step = Step.ChunkDataEnd;
          this.#remaining = 2;
        }
        onBody(data.subarray(at, at + n));
        return at + n;
      }
      case Step.ChunkDataEnd:
        // The CRLF after a chunk's data, possibly split across reads.
        while (at < data.length && this.#remaining > 0) {
          if (data[at] !== (this.#remaining === 2 ? 0x0d : 0x0a))
            throw this.#bad("chunk data not followed by CRLF");
          at++;
          this.#remaining--;
        }
        if (this.#remaining === 0) this.#step = Step.ChunkSize;
        return at;
      case Step.Trailers:
        return this.#readTrailers(data, at);
      case Step.UntilClose:
        onBody(at === 0 ? data : data.subarray(at));
        return data.length;
      default:
        return at;
    }
  }

  /** `data` from `at` appended to what is pending; `from` is where `data[at]` sits in the result. */
  #withPending(data: Buffer, at: number): { buf: Buffer; from: number; start: number } {
    const pending = this.#pending;
    if (pending === undefined) return { buf: data, from: at, start: at };
    return { buf: Buffer.concat([pending, data.subarray(at)]), from: pending.length, start: 0 };
  }

  /** Keeps the unfinished line or section for the next read. */
  #keep(buf: Buffer, data: Buffer, at: number): number {
    this.#pending = buf === data ? Buffer.from(data.subarray(at)) : buf;
    return data.length;
  }

  #readChunkSize(data: Buffer, at: number): number {
    const { buf, from, start } = this.#withPending(data, at);
    const lf = buf.indexOf(0x0a, from);
    if (lf < 0) {
      if (buf.length - start > MAX_CHUNK_LINE) throw this.#bad("chunk size line too long");
      return this.#keep(buf, data, at);
    }
    if (lf - start > MAX_CHUNK_LINE) throw this.#bad("chunk size line too long");
    if (lf === start || buf[lf - 1] !== 0x0d) throw this.#bad("chunk size line not ended by CRLF");
    this.#pending = undefined;
    // No control character (a bare CR included) anywhere in the line, extensions or not.
    const n = chunkSizeOf(latin1(buf, start, lf - 1));
    if (n < 0) throw this.#bad("invalid chunk size line");
    if (n === 0) this.#step = Step.Trailers;
    else {
      this.#remaining = n;
      this.#step = Step.ChunkData;
    }
    return at + (lf + 1 - from);
  }

  /** After the last chunk: trailer fields until an empty line. */
  #readTrailers(data: Buffer, at: number): number {
    const { buf, from, start } = this.#withPending(data, at);
    // No trailers: the section is just CRLF.
    if (buf.length - start >= 2 && buf[start] === 0x0d && buf[start + 1] === 0x0a) {
      this.#finish(NO_TRAILERS);
      return at + (start + 2 - from);
    }
    const end = buf.indexOf("\r\n\r\n", Math.max(start, from - 3), "latin1");
    if (end < 0) {
      if (buf.length - start > MAX_CHUNK_LINE) throw this.#bad("trailer section too long");
      return this.#keep(buf, data, at);
    }
    if (end - start > MAX_CHUNK_LINE) throw this.#bad("trailer section too long");
    const text = latin1(buf, start, end);
    if (BAD_SECTION_TEXT.test(text)) throw this.#bad("control character, bare CR or bare LF in trailers");
    const trailers: IncomingHttpHeaders = {};
    for (const line of text.split("\r\n")) {
      const colon = line.indexOf(":");
      const name = colon <= 0 ? undefined : fieldNameKey(line.slice(0, colon));
      if (name === undefined) throw this.#bad("invalid trailer field");
      appendField(trailers, name, trimOws(line, colon + 1));
    }
    this.#finish(trailers);
    return at + (end + 4 - from);
  }
}
