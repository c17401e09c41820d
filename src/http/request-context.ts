// What one request carries through the phases: the downstream request and response, what the engine
// learnt from the head in its single pass over the headers, the route and endpoint chosen, and what
// happened (status, bytes, error). One object per request; hooks read and write its fields.
import type { EventEmitter } from "node:events";
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";
import { Readable } from "node:stream";
import type { ConnectionContext } from "../listener/connection.ts";
import type { Endpoint } from "../upstream/endpoint.ts";
import type { Upstream } from "../upstream/upstream.ts";
import type { HttpError } from "./errors.ts";
import type { CompiledRoute } from "./routes.ts";

/** A request's head as the engine uses it (h1/request.ts for HTTP/1, h2-exchange.ts for HTTP/2). */
export interface DownstreamRequest {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly rawHeaders: string[];
  readonly httpVersion: string;
}

/** A response as the engine writes it (h1/response.ts for HTTP/1, h2-exchange.ts for HTTP/2). */
export interface DownstreamResponse extends EventEmitter {
  readonly headersSent: boolean;
  writeHead(status: number, headers?: OutgoingHttpHeaders | IncomingHttpHeaders): unknown;
  write(chunk: Uint8Array | string): boolean;
  end(chunk?: Uint8Array | string): unknown;
  addTrailers(trailers: IncomingHttpHeaders): void;
  writeContinue(): void;
}

/** Per client connection (HTTP/1 socket or HTTP/2 session): shared by its requests. */
export interface ConnectionState {
  readonly ctx: ConnectionContext;
  /** The client is one of the listener's trusted_proxies: its forwarding headers are kept. */
  readonly trusted: boolean;
  /** The client address as forwarding headers show it (IPv4-mapped IPv6 as plain IPv4). */
  readonly client: string;
  /** The listener's trusted_proxies check (forwarded.ts walks X-Forwarded-For with it). */
  readonly trust?: (address: string) => boolean;
  /** "https" on TLS connections, else "http" (X-Forwarded-Proto, Forwarded proto=). */
  readonly proto: "http" | "https";
  /** Requests on this connection that have not finished yet. */
  inflight: number;
  /** HTTP/1: the request whose body is being read, so a parse error in it can be answered. */
  current: RequestContext | undefined;
}

export class RequestContext {
  readonly conn: ConnectionState;
  readonly req: DownstreamRequest;
  /** The request body as it arrives (HTTP/1: h1/request.ts; HTTP/2: the stream); unset: none. */
  #body: Readable | undefined;
  readonly res: DownstreamResponse;
  readonly isH2: boolean;
  /** performance.now() when the head was parsed. */
  readonly startedAt: number;
  /** "1.0", "1.1" or "2.0". */
  readonly httpVersion: string;
  method: string;
  /** Origin-form target ("/a?b") sent upstream; absolute-form targets are reduced to it. */
  path: string;
  /** Routing host (see host.ts): lower case, no port; "" when the request named none. */
  host = "";
  /** The Host / :authority value as received, for X-Forwarded-Host and Forwarded; "" if none. */
  authority = "";
  /** Request headers for the upstream, flat [name, value, ...], hop-by-hop fields already removed. */
  upstreamHeaders: string[] = [];
  /** Forwarding headers as received (joined if repeated); kept only from trusted proxies. */
  xForwardedFor: string | undefined = undefined;
  xForwardedProto: string | undefined = undefined;
  xForwardedHost: string | undefined = undefined;
  forwarded: string | undefined = undefined;
  via: string | undefined = undefined;
  /**
   * The request's client address: the connection's (`conn.client`, the PROXY header's source where
   * there was one), or, from a trusted proxy, the rightmost X-Forwarded-For address that is not a
   * trusted proxy (forwarded.ts). Logs and filters read this one.
   */
  client: string;
  /** Declared Content-Length, -1 when absent. */
  contentLength = -1;
  /** The request body is chunked (HTTP/1) or of unknown length (HTTP/2 without content-length). */
  chunked = false;
  /** The Upgrade header as received (RFC 9110 §7.8); never forwarded on a plain request. */
  upgrade: string | undefined = undefined;
  /** The request has no body at all (HTTP/2 HEADERS with END_STREAM). */
  noBody = false;
  /** The client sent `Expect: 100-continue`; the engine answers it once the request may proceed. */
  expectContinue = false;
  /** The request's id (the request_id filter, or `${request_id}` in set_headers); logged when set. */
  requestId: string | undefined = undefined;
  route: CompiledRoute | undefined = undefined;
  upstream: Upstream | undefined = undefined;
  endpoint: Endpoint | undefined = undefined;
  /** Upstream timings of the last attempt, in ms from its dispatch; -1 until measured. Connect: until a
   * connection (pooled, or new) carried the request, as nginx's $upstream_connect_time; header: until the
   * response head arrived (time to first byte). */
  upstreamConnectMs = -1;
  upstreamHeaderMs = -1;
  /** Endpoints already tried (retries). */
  tried: Set<Endpoint> | undefined = undefined;
  /** Status sent to the client; 0 until a head was written. */
  status = 0;
  /** Response body bytes sent to the client. */
  bytesSent = 0;
  error: HttpError | undefined = undefined;
  /** Set once the exchange is over and logged. */
  finished = false;

  constructor(
    conn: ConnectionState,
    req: DownstreamRequest,
    res: DownstreamResponse,
    isH2: boolean,
    body?: Readable,
  ) {
    this.conn = conn;
    this.req = req;
    this.#body = body;
    this.res = res;
    this.isH2 = isH2;
    this.startedAt = performance.now();
    this.httpVersion = req.httpVersion;
    this.method = req.method ?? "GET";
    this.path = req.url ?? "/";
    this.client = conn.client;
  }

  /** The request body; for a request without one, an empty stream made when first asked for. */
  get body(): Readable {
    this.#body ??= emptyBody();
    return this.#body;
  }
}

function emptyBody(): Readable {
  const body = new Readable({ read() {} });
  body.push(null);
  return body;
}
