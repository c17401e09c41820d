// One request/response exchange on weir's HTTP/1.1 upstream client: what was asked, who hears the
// answer (an undici-style DispatchHandler, so the engine speaks to this client and to undici's pools
// alike), and the controller the handler holds to pause, resume or abort it. An exchange waits in its
// pool's queue until a connection takes it.
import type { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import type { UpstreamConnection } from "./connection.ts";

/** What the engine asks of an upstream: origin-form target, flat end-to-end fields, optional body. */
export interface UpstreamRequest {
  method: string;
  path: string;
  headers: string[];
  body: Readable | null;
}

export class Exchange implements Dispatcher.DispatchController {
  readonly request: UpstreamRequest;
  readonly handler: Dispatcher.DispatchHandler;
  /** The connection carrying it; undefined while queued and once it is over. */
  conn: UpstreamConnection | undefined = undefined;
  /** Over: ended, failed or aborted. The handler hears nothing more. */
  over = false;
  #aborted = false;
  #paused = false;
  #reason: Error | null = null;

  constructor(request: UpstreamRequest, handler: Dispatcher.DispatchHandler) {
    this.request = request;
    this.handler = handler;
    // The body is this exchange's from now on, queued or not: a body that fails (a size limit's 413,
    // a client that went away) fails the exchange, and its error is never left unhandled.
    request.body?.on("error", (err: Error) => this.abort(err));
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  get paused(): boolean {
    return this.#paused;
  }

  get reason(): Error | null {
    return this.#reason;
  }

  /** The handler gives up on it: queued, it is skipped; running, its connection is closed. */
  abort(reason: Error): void {
    if (this.over) return;
    this.#aborted = true;
    this.#reason = reason;
    const conn = this.conn;
    if (conn !== undefined) conn.abort(this, reason);
    else this.fail(reason);
  }

  pause(): void {
    this.#paused = true;
    if (!this.over) this.conn?.pauseReading();
  }

  resume(): void {
    this.#paused = false;
    if (!this.over) this.conn?.resumeReading();
  }

  /** Ends it with `err`, once; the handler hears it. */
  fail(err: Error): void {
    if (this.over) return;
    this.over = true;
    this.conn = undefined;
    this.handler.onResponseError?.(this, err);
  }
}
