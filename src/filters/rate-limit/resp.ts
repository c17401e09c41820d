// A small Redis client over one TCP connection: RESP2 commands out, replies in, matched in order
// (Redis answers pipelined commands in the order it got them). Enough for EVAL; not a general client.
// It connects lazily, reconnects after a failure (at most once per `retryMs`), and fails pending and new
// commands fast while disconnected, so a dead Redis costs a request no more than its timeout.
import { connect, type Socket } from "node:net";

export type RespValue = string | number | null | RespValue[] | RespError;

export class RespError extends Error {
  override readonly name = "RespError";
}

interface Pending {
  resolve(value: RespValue): void;
  reject(err: Error): void;
}

export class RespClient {
  readonly #host: string;
  readonly #port: number;
  readonly #retryMs: number;
  #socket: Socket | undefined;
  #connected = false;
  #lastAttempt = 0;
  #closed = false;
  #pending: Pending[] = [];
  #buffer: Buffer = Buffer.alloc(0);

  constructor(address: string, retryMs = 1000) {
    const colon = address.lastIndexOf(":");
    this.#host = address.slice(0, colon).replace(/^\[|\]$/g, "");
    this.#port = Number(address.slice(colon + 1));
    this.#retryMs = retryMs;
  }

  /** Sends one command; resolves with its reply, a RespError for an error reply. */
  command(args: readonly (string | number)[]): Promise<RespValue> {
    if (this.#closed) return Promise.reject(new Error("redis client closed"));
    const socket = this.#ensureSocket();
    if (socket === undefined) return Promise.reject(new Error("redis unavailable"));
    return new Promise((resolve, reject) => {
      this.#pending.push({ resolve, reject });
      socket.write(encode(args));
    });
  }

  close(): void {
    this.#closed = true;
    this.#socket?.destroy();
    this.#fail(new Error("redis client closed"));
  }

  #ensureSocket(): Socket | undefined {
    if (this.#socket !== undefined) return this.#socket;
    const now = Date.now();
    if (now - this.#lastAttempt < this.#retryMs && this.#lastAttempt !== 0) return undefined;
    this.#lastAttempt = now;
    const socket = connect({ host: this.#host, port: this.#port, noDelay: true });
    socket.unref();
    this.#socket = socket;
    socket.on("connect", () => {
      this.#connected = true;
    });
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      if (this.#socket === socket) this.#socket = undefined;
      this.#connected = false;
      this.#buffer = Buffer.alloc(0);
      this.#fail(new Error("redis connection lost"));
    });
    return socket;
  }

  get connected(): boolean {
    return this.#connected;
  }

  #fail(err: Error): void {
    const pending = this.#pending;
    this.#pending = [];
    for (const p of pending) p.reject(err);
  }

  #onData(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const parsed = parseReply(this.#buffer, 0);
      if (parsed === undefined) return;
      this.#buffer = this.#buffer.subarray(parsed.end);
      const p = this.#pending.shift();
      if (p === undefined) {
        // A reply nobody asked for: the stream is out of step; start over.
        this.#socket?.destroy();
        return;
      }
      p.resolve(parsed.value);
    }
  }
}

function encode(args: readonly (string | number)[]): string {
  let out = `*${args.length}\r\n`;
  for (const a of args) {
    const s = String(a);
    out += `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
  }
  return out;
}

/** One reply starting at `at`, or undefined when `buf` does not hold all of it yet. */
export function parseReply(buf: Buffer, at: number): { value: RespValue; end: number } | undefined {
  const eol = buf.indexOf("\r\n", at);
  if (eol < 0) return undefined;
  const line = buf.toString("latin1", at + 1, eol);
  switch (buf[at]) {
    case 0x2b: // + simple string
      return { value: line, end: eol + 2 };
    case 0x2d: // - error
      return { value: new RespError(line), end: eol + 2 };
    case 0x3a: // : integer
      return { value: Number(line), end: eol + 2 };
    case 0x24: {
      // $ bulk string
      const n = Number(line);
      if (n < 0) return { value: null, end: eol + 2 };
      if (buf.length < eol + 2 + n + 2) return undefined;
      return { value: buf.toString("utf8", eol + 2, eol + 2 + n), end: eol + 2 + n + 2 };
    }
    case 0x2a: {
      // * array
      const n = Number(line);
      if (n < 0) return { value: null, end: eol + 2 };
      const items: RespValue[] = [];
      let end = eol + 2;
      for (let i = 0; i < n; i++) {
        const item = parseReply(buf, end);
        if (item === undefined) return undefined;
        items.push(item.value);
        end = item.end;
      }
      return { value: items, end };
    }
    default:
      return {
        value: new RespError(`unexpected reply type ${String.fromCharCode(buf[at] ?? 0)}`),
        end: buf.length,
      };
  }
}
