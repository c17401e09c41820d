// One HTTP/2 request as the engine sees it, straight on node:http2's stream API: the request's head as a
// small object, its body as the stream's readable side, and a response that writes the stream's HEADERS
// and DATA. node:http2's compat layer did the same with two extra stream objects per request, a proxy of
// the body through one more Readable, and a dozen listeners; under h2load it was a large part of weir's
// CPU and garbage per request. It also answered CONNECT with 405 itself, before weir's routes could allow
// one (RFC 9113 §8.5): here CONNECT reaches the engine like any method.
import { EventEmitter } from "node:events";
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";
import type { IncomingHttpHeaders as H2Headers, ServerHttp2Stream } from "node:http2";
import type { DownstreamRequest, DownstreamResponse } from "./request-context.ts";

export class H2Request implements DownstreamRequest {
  readonly method: string;
  /** The :path, or for CONNECT the :authority (authority-form, as HTTP/1 carries it). */
  readonly url: string;
  readonly rawHeaders: string[];
  readonly httpVersion = "2.0";

  constructor(headers: H2Headers, rawHeaders: string[]) {
    this.method = headers[":method"] ?? "GET";
    this.url = (this.method === "CONNECT" ? headers[":authority"] : headers[":path"]) ?? "/";
    this.rawHeaders = rawHeaders;
  }
}

/** Streams fail on their own (a client's RST_STREAM); the response's 'close' is what the engine uses. */
function ignore(): void {}

export class H2Response extends EventEmitter implements DownstreamResponse {
  readonly stream: ServerHttp2Stream;
  #trailers: IncomingHttpHeaders | undefined;

  constructor(stream: ServerHttp2Stream) {
    super();
    this.stream = stream;
    stream.on("error", ignore);
    stream.once("close", () => {
      this.emit("close");
    });
  }

  get headersSent(): boolean {
    return this.stream.headersSent;
  }

  /** Sends HEADERS. Throws for a field HTTP/2 forbids or cannot carry, as weir's HTTP/1 writer does (h1/response.ts). */
  writeHead(status: number, headers?: OutgoingHttpHeaders | IncomingHttpHeaders): this {
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return this;
    const out: OutgoingHttpHeaders = { ":status": status };
    if (headers !== undefined) {
      for (const name in headers) {
        const value = headers[name];
        if (value !== undefined) out[name.toLowerCase()] = value;
      }
    }
    // The stream ends with a trailer section, empty unless the upstream sent trailers (RFC 9113 §8.1).
    // Ending it on the last DATA frame instead costs more: node:http2 then destroys the stream with its
    // end-of-stream write still pending and builds an error object per request for the dropped callback.
    stream.once("wantTrailers", () => this.#sendTrailers());
    stream.respond(out, { waitForTrailers: true });
    return this;
  }

  write(chunk: Uint8Array | string): boolean {
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return false;
    if (!stream.headersSent) this.writeHead(200);
    const ok = stream.write(chunk);
    if (!ok) stream.once("drain", () => this.emit("drain"));
    return ok;
  }

  end(chunk?: Uint8Array | string): this {
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return this;
    if (!stream.headersSent) this.writeHead(200);
    if (chunk === undefined) stream.end();
    else stream.end(chunk);
    // Whatever of the request body nobody read is discarded, so the stream can close.
    if (!stream.readableEnded) stream.resume();
    return this;
  }

  /** Trailers to send after the body (RFC 9113 §8.1). */
  addTrailers(trailers: IncomingHttpHeaders): void {
    this.#trailers = trailers;
  }

  writeContinue(): void {
    if (!this.stream.headersSent && !this.stream.destroyed) this.stream.additionalHeaders({ ":status": 100 });
  }

  #sendTrailers(): void {
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return;
    // An empty trailer section still ends the stream (HEADERS with END_STREAM).
    stream.sendTrailers((this.#trailers ?? {}) as OutgoingHttpHeaders);
  }
}
