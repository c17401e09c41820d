// The access log's writer: one JSON line per request or TCP session, in the same shape pino gave the
// process log ({"level":"info","time":ISO,"pid":N,<base fields>,<line fields>}), but built by string
// concatenation and written in batches. pino cost ~8 µs of JSON building per request and its async file
// writes another ~13 µs of threadpool time; here lines go into one 64 KiB buffer that is written with a
// synchronous write(2) when full, on a short unref'd timer, on flush() and at process exit. A regular
// file is opened O_APPEND, so whole batches land as whole lines even when the process log (pino) or
// another worker appends to the same file.
//
// Redaction and sampling are not done here: callers decide whether a line is written and what its
// values are (src/observe/access-redact.ts, applied in src/http/access-log.ts and the TCP tunnels'
// access lines) before calling `info`. The writer only escapes; it never inspects or drops values.
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";

/** A line's fields, in the order they appear; `undefined` values are left out (as JSON.stringify does). */
export type AccessFields = Readonly<Record<string, unknown>>;

export interface AccessLog {
  /** Appends one line. Never throws: a line that cannot be written is counted in `dropped`. */
  info(fields: AccessFields): void;
  /**
   * The hot path's form of `info`: the line's fields already as JSON object members, each written
   * `,"name":value` with strings through `jsonString` (HTTP requests build theirs by concatenation,
   * src/http/access-log.ts). The writer adds level, time, pid and the base fields in front.
   */
  infoJson(members: string): void;
  /** Writes what is buffered now, synchronously (before exit, in tests). */
  flush(): void;
  /** Flushes, then opens the file again (after logrotate moved it; SIGUSR1). No-op for stdout/stderr. */
  reopen(): void;
  /** Lines lost to write errors (a full disk, a closed pipe) since start. */
  readonly dropped: number;
}

/** Bytes buffered before a write(2); a batch is one syscall for a few hundred lines. */
const BATCH_BYTES = 64 * 1024;
/** Longest a line waits in the buffer when traffic is light. */
const FLUSH_AFTER_MS = 100;
/** A non-blocking stdout pipe that stays full this long loses the batch rather than stall the worker. */
const EAGAIN_GIVE_UP_MS = 1_000;

/** Writers holding unwritten lines; flushed on process exit. */
const unflushed = new Set<Writer>();
let exitHookInstalled = false;

function onExit(): void {
  for (const w of unflushed) w.flush();
}

let isoMs = -1;
let isoText = "";

/** The current time as ISO 8601, cached per millisecond: many lines share one millisecond under load. */
function isoNow(): string {
  const now = Date.now();
  if (now !== isoMs) {
    isoMs = now;
    isoText = new Date(now).toISOString();
  }
  return isoText;
}

/** True when `s` needs nothing but surrounding quotes: printable ASCII without `"` or `\`. */
const NEEDS_ESCAPE = /[^\x20\x21\x23-\x5b\x5d-\x7e]/;

/** `s` as a JSON string literal (RFC 8259 §7). */
export function jsonString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/** `v` as a JSON value, or undefined when JSON.stringify would leave the field out. */
function jsonValue(v: unknown): string | undefined {
  switch (typeof v) {
    case "string":
      return jsonString(v);
    case "number":
      return Number.isFinite(v) ? String(v) : "null";
    case "boolean":
      return v ? "true" : "false";
    case "bigint":
      return String(v);
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
    default:
      if (v === null) return "null";
      try {
        return JSON.stringify(v);
      } catch {
        return '"[unserializable]"';
      }
  }
}

/** `,"name":` for each field name seen, so a name is escaped once, not once per line. */
const keyPrefixes = new Map<string, string>();

function keyPrefix(name: string): string {
  let p = keyPrefixes.get(name);
  if (p === undefined) {
    p = `,${jsonString(name)}:`;
    // Field names come from code, a bounded set; the cap only guards against a caller using data as names.
    if (keyPrefixes.size < 1024) keyPrefixes.set(name, p);
  }
  return p;
}

class Writer implements AccessLog {
  readonly #path: string | undefined;
  readonly #tail: string;
  #fd: number;
  #buf: Buffer | undefined;
  #used = 0;
  #lines = 0;
  #timer: NodeJS.Timeout | undefined;
  #dropped = 0;

  constructor(fd: number, path: string | undefined, base: AccessFields) {
    this.#fd = fd;
    this.#path = path;
    let tail = `","pid":${process.pid}`;
    for (const name in base) {
      const v = jsonValue(base[name]);
      if (v !== undefined) tail += keyPrefix(name) + v;
    }
    this.#tail = tail;
  }

  get dropped(): number {
    return this.#dropped;
  }

  info(fields: AccessFields): void {
    let line = `{"level":"info","time":"${isoNow()}${this.#tail}`;
    for (const name in fields) {
      const v = jsonValue(fields[name]);
      if (v !== undefined) line += keyPrefix(name) + v;
    }
    line += "}\n";
    this.#append(line);
  }

  infoJson(members: string): void {
    this.#append(`{"level":"info","time":"${isoNow()}${this.#tail}${members}}\n`);
  }

  #append(line: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit: flush first unless the line surely fits.
    const worst = line.length * 3;
    if (this.#used + worst > BATCH_BYTES) {
      this.flush();
      if (worst > BATCH_BYTES) {
        this.#writeAll(Buffer.from(line, "utf8"), 1);
        return;
      }
    }
    if (this.#buf === undefined) this.#buf = Buffer.allocUnsafe(BATCH_BYTES);
    this.#used += this.#buf.write(line, this.#used, "utf8");
    this.#lines++;
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.flush(), FLUSH_AFTER_MS);
      this.#timer.unref();
      unflushed.add(this);
      if (!exitHookInstalled) {
        exitHookInstalled = true;
        process.on("exit", onExit);
      }
    }
  }

  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    unflushed.delete(this);
    if (this.#used === 0 || this.#buf === undefined) return;
    const used = this.#used;
    const lines = this.#lines;
    this.#used = 0;
    this.#lines = 0;
    this.#writeAll(this.#buf.subarray(0, used), lines);
  }

  /** write(2) until all of `bytes` is out; on an error the rest is dropped and counted. */
  #writeAll(bytes: Buffer, lines: number): void {
    let off = 0;
    let waitedMs = 0;
    while (off < bytes.length) {
      try {
        off += writeSync(this.#fd, bytes, off, bytes.length - off);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "EAGAIN" && waitedMs < EAGAIN_GIVE_UP_MS) {
          // A non-blocking pipe (stdout to a slow reader) is full: wait a millisecond for it to drain.
          Atomics.wait(sleeper, 0, 0, 1);
          waitedMs++;
          continue;
        }
        this.#dropped += lines;
        return;
      }
    }
  }

  reopen(): void {
    if (this.#path === undefined) return;
    this.flush();
    let fd: number;
    try {
      fd = openFile(this.#path);
    } catch {
      // Keep writing to the old file rather than lose lines; the next SIGUSR1 tries again.
      return;
    }
    const old = this.#fd;
    this.#fd = fd;
    try {
      closeSync(old);
    } catch {}
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

function openFile(path: string): number {
  mkdirSync(dirname(path), { recursive: true });
  return openSync(path, "a");
}

/**
 * Opens the access log on `output` ("stdout", "stderr" or a file path, created with its folder if
 * missing). `base` fields (worker, generation, `log: "access"`) follow `pid` on every line.
 * Throws only if a file cannot be opened, like the process log's `openOutput`.
 */
export function openAccessLog(output: string, base: AccessFields = {}): AccessLog {
  if (output === "stdout") return new Writer(1, undefined, base);
  if (output === "stderr") return new Writer(2, undefined, base);
  return new Writer(openFile(output), output, base);
}
