// One HTTP/1 request as the engine sees it (DownstreamRequest), and its body as a Readable with
// backpressure: when the body's reader falls behind, the connection stops reading the socket.
import type { Socket } from "node:net";
import { Readable } from "node:stream";
import type { DownstreamRequest } from "../request-context.ts";
import type { RequestHead } from "./request-parser.ts";

export class H1Request implements DownstreamRequest {
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: string[];
  readonly httpVersion: string;
  /** The client connection (graceful drain ends it once its last response is out). */
  readonly socket: Socket;

  constructor(head: RequestHead, socket: Socket) {
    this.method = head.method;
    this.url = head.target;
    this.rawHeaders = head.rawHeaders;
    this.httpVersion = head.version;
    this.socket = socket;
  }
}

/** The connection as a body stream sees it. */
export interface BodySource {
  /** The reader wants more: read the socket again if the body had paused it. */
  bodyWanted(): void;
}

export class RequestBody extends Readable {
  readonly #source: BodySource;

  constructor(source: BodySource) {
    super();
    this.#source = source;
  }

  override _read(): void {
    this.#source.bodyWanted();
  }
}
