// The few pieces of the DNS wire format (RFC 1035 §4) a dynamic update needs: a growing writer, names
// as uncompressed label sequences, and a reader that skips names (compression pointers included,
// §4.1.4) and resource records in an answer.

export const TYPE_SOA = 6;
export const TYPE_TXT = 16;
export const TYPE_TSIG = 250;
export const CLASS_IN = 1;
export const CLASS_NONE = 254;
export const CLASS_ANY = 255;
/** RFC 2136 §1: the UPDATE opcode. */
export const OPCODE_UPDATE = 5;

/** A DNS name or text that cannot be encoded (label over 63 bytes, name over 255). */
export class DnsEncodeError extends Error {
  readonly code = "DNS_ENCODE";
}

export class Writer {
  #buf = Buffer.alloc(512);
  #len = 0;

  get length(): number {
    return this.#len;
  }

  #room(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    const next = Buffer.alloc(Math.max(this.#buf.length * 2, this.#len + n));
    this.#buf.copy(next, 0, 0, this.#len);
    this.#buf = next;
  }

  u8(v: number): this {
    this.#room(1);
    this.#buf.writeUInt8(v, this.#len);
    this.#len += 1;
    return this;
  }

  u16(v: number): this {
    this.#room(2);
    this.#buf.writeUInt16BE(v, this.#len);
    this.#len += 2;
    return this;
  }

  u32(v: number): this {
    this.#room(4);
    this.#buf.writeUInt32BE(v >>> 0, this.#len);
    this.#len += 4;
    return this;
  }

  /** 48-bit unsigned (TSIG's Time Signed). */
  u48(v: number): this {
    this.u16(Math.floor(v / 2 ** 32));
    return this.u32(v % 2 ** 32);
  }

  bytes(b: Uint8Array): this {
    this.#room(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
    return this;
  }

  /** A name as uncompressed labels, lower case (the canonical form, RFC 4034 §6.2). */
  name(name: string): this {
    return this.bytes(encodeName(name));
  }

  /** Back-patch a 16-bit field (RDLENGTH, counts). */
  setU16(at: number, v: number): void {
    this.#buf.writeUInt16BE(v, at);
  }

  done(): Buffer {
    return Buffer.from(this.#buf.subarray(0, this.#len));
  }
}

/** "a.b." or "a.b" → labels; "." or "" is the root. Lower case. Throws DnsEncodeError. */
export function encodeName(name: string): Buffer {
  const trimmed = name.endsWith(".") ? name.slice(0, -1) : name;
  const parts: Buffer[] = [];
  let total = 1;
  if (trimmed.length > 0) {
    for (const label of trimmed.toLowerCase().split(".")) {
      const bytes = Buffer.from(label, "ascii");
      if (bytes.length === 0 || bytes.length > 63)
        throw new DnsEncodeError(`bad label in DNS name "${name}"`);
      parts.push(Buffer.from([bytes.length]), bytes);
      total += bytes.length + 1;
    }
  }
  if (total > 255) throw new DnsEncodeError(`DNS name too long: "${name}"`);
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/** TXT RDATA (RFC 1035 §3.3.14): one or more <length><bytes> strings of up to 255 bytes. */
export function txtRdata(text: string): Buffer {
  const bytes = Buffer.from(text, "utf8");
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length || i === 0; i += 255) {
    const chunk = bytes.subarray(i, i + 255);
    parts.push(Buffer.from([chunk.length]), chunk);
    if (bytes.length === 0) break;
  }
  return Buffer.concat(parts);
}

/** A malformed DNS answer. */
export class DnsDecodeError extends Error {
  readonly code = "DNS_DECODE";
}

/** Offset just past the name at `at` (a compression pointer ends it, §4.1.4). Throws DnsDecodeError. */
export function skipName(msg: Buffer, at: number): number {
  let p = at;
  for (let guard = 0; guard < 128; guard++) {
    if (p >= msg.length) throw new DnsDecodeError("truncated name");
    const len = msg[p] as number;
    if (len === 0) return p + 1;
    if ((len & 0xc0) === 0xc0) {
      if (p + 2 > msg.length) throw new DnsDecodeError("truncated pointer");
      return p + 2;
    }
    if (len & 0xc0) throw new DnsDecodeError("bad label type");
    p += 1 + len;
  }
  throw new DnsDecodeError("name too long");
}

/** Reads the name at `at` (following pointers), lower case with a trailing dot. Throws DnsDecodeError. */
export function readName(msg: Buffer, at: number): string {
  const labels: string[] = [];
  let p = at;
  for (let guard = 0; guard < 128; guard++) {
    if (p >= msg.length) throw new DnsDecodeError("truncated name");
    const len = msg[p] as number;
    if (len === 0) return `${labels.join(".")}.`;
    if ((len & 0xc0) === 0xc0) {
      if (p + 2 > msg.length) throw new DnsDecodeError("truncated pointer");
      p = ((len & 0x3f) << 8) | (msg[p + 1] as number);
      continue;
    }
    if (p + 1 + len > msg.length) throw new DnsDecodeError("truncated label");
    labels.push(msg.toString("ascii", p + 1, p + 1 + len).toLowerCase());
    p += 1 + len;
  }
  throw new DnsDecodeError("name loop");
}

export interface RecordPosition {
  /** Offset of the record's first byte (its owner name). */
  start: number;
  type: number;
  cls: number;
  /** Offset of its RDATA. */
  rdata: number;
  /** One past its RDATA. */
  end: number;
}

/** The record at `at`. Throws DnsDecodeError. */
export function readRecord(msg: Buffer, at: number): RecordPosition {
  const afterName = skipName(msg, at);
  if (afterName + 10 > msg.length) throw new DnsDecodeError("truncated record");
  const rdlength = msg.readUInt16BE(afterName + 8);
  const rdata = afterName + 10;
  if (rdata + rdlength > msg.length) throw new DnsDecodeError("truncated rdata");
  return {
    start: at,
    type: msg.readUInt16BE(afterName),
    cls: msg.readUInt16BE(afterName + 2),
    rdata,
    end: rdata + rdlength,
  };
}

/** Offset of the additional section's first record, skipping the question (zone) and RR sections. */
export function sectionsEnd(msg: Buffer): { additional: number; arcount: number } {
  if (msg.length < 12) throw new DnsDecodeError("short header");
  const qd = msg.readUInt16BE(4);
  const an = msg.readUInt16BE(6);
  const ns = msg.readUInt16BE(8);
  let p = 12;
  for (let i = 0; i < qd; i++) p = skipName(msg, p) + 4;
  for (let i = 0; i < an + ns; i++) p = readRecord(msg, p).end;
  if (p > msg.length) throw new DnsDecodeError("truncated message");
  return { additional: p, arcount: msg.readUInt16BE(10) };
}
