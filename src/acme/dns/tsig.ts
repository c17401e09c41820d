// TSIG (RFC 8945): an HMAC over a DNS message and a few "TSIG variables", carried as the last record of
// the additional section. Requests are signed (§5.1); answers are verified against the request's MAC
// (§5.3: request MAC, then the answer without its TSIG record, then the variables).
import { createHmac, timingSafeEqual } from "node:crypto";
import type { TSIG_ALGORITHMS } from "../../config/schema/acme.ts";
import {
  CLASS_ANY,
  DnsDecodeError,
  encodeName,
  readName,
  readRecord,
  sectionsEnd,
  TYPE_TSIG,
  Writer,
} from "./wire.ts";

export type TsigAlgorithm = (typeof TSIG_ALGORITHMS)[number];

export interface TsigKey {
  name: string;
  algorithm: TsigAlgorithm;
  secret: Buffer;
}

const HASH = { "hmac-sha256": "sha256", "hmac-sha384": "sha384", "hmac-sha512": "sha512" } as const;
/** §4.2: Fudge, seconds of clock difference permitted. 300 is the recommended value. */
const FUDGE = 300;

/** RFC 8945 §5.3.2 error codes in the TSIG record, by name for messages. */
const TSIG_ERRORS: Record<number, string> = { 16: "BADSIG", 17: "BADKEY", 18: "BADTIME", 22: "BADTRUNC" };

export interface Signed {
  message: Buffer;
  /** The request's MAC, needed to verify the answer. */
  mac: Buffer;
}

/** The TSIG variables of §4.3.3, canonical form. */
function variables(key: TsigKey, timeSigned: number, fudge: number, error: number, other: Buffer): Buffer {
  return new Writer()
    .name(key.name)
    .u16(CLASS_ANY)
    .u32(0)
    .name(key.algorithm)
    .u48(timeSigned)
    .u16(fudge)
    .u16(error)
    .u16(other.length)
    .bytes(other)
    .done();
}

/** Appends a TSIG record to `message` (whose ARCOUNT does not count it yet) and bumps ARCOUNT. */
export function signMessage(message: Buffer, key: TsigKey, now = Date.now()): Signed {
  const timeSigned = Math.floor(now / 1000);
  const mac = createHmac(HASH[key.algorithm], key.secret)
    .update(message)
    .update(variables(key, timeSigned, FUDGE, 0, Buffer.alloc(0)))
    .digest();
  const w = new Writer().bytes(message).name(key.name).u16(TYPE_TSIG).u16(CLASS_ANY).u32(0);
  const rdlengthAt = w.length;
  w.u16(0);
  const rdStart = w.length;
  w.name(key.algorithm).u48(timeSigned).u16(FUDGE).u16(mac.length).bytes(mac);
  w.u16(message.readUInt16BE(0)).u16(0).u16(0);
  w.setU16(rdlengthAt, w.length - rdStart);
  const out = w.done();
  out.writeUInt16BE(message.readUInt16BE(10) + 1, 10);
  return { message: out, mac };
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

/** Checks the answer's TSIG against the request's MAC (§5.3). Never throws. */
export function verifyAnswer(
  answer: Buffer,
  key: TsigKey,
  requestMac: Buffer,
  now = Date.now(),
): VerifyResult {
  try {
    const { additional, arcount } = sectionsEnd(answer);
    if (arcount === 0) return { ok: false, reason: "answer not signed" };
    let p = additional;
    let last = readRecord(answer, p);
    for (let i = 1; i < arcount; i++) {
      p = last.end;
      last = readRecord(answer, p);
    }
    if (last.type !== TYPE_TSIG) return { ok: false, reason: "answer not signed" };
    if (readName(answer, last.start) !== `${key.name.toLowerCase().replace(/\.$/, "")}.`)
      return { ok: false, reason: "answer signed with another key" };
    let r = last.rdata;
    const algorithm = readName(answer, r);
    r = skipTo(answer, r);
    const timeSigned = answer.readUInt16BE(r) * 2 ** 32 + answer.readUInt32BE(r + 2);
    const fudge = answer.readUInt16BE(r + 6);
    const macSize = answer.readUInt16BE(r + 8);
    const mac = answer.subarray(r + 10, r + 10 + macSize);
    r += 10 + macSize;
    const originalId = answer.readUInt16BE(r);
    const error = answer.readUInt16BE(r + 2);
    const otherLen = answer.readUInt16BE(r + 4);
    const other = answer.subarray(r + 6, r + 6 + otherLen);
    if (error !== 0)
      return { ok: false, reason: `server says ${TSIG_ERRORS[error] ?? `TSIG error ${error}`}` };
    if (algorithm !== `${key.algorithm}.`) return { ok: false, reason: `answer signed with ${algorithm}` };
    const unsigned = Buffer.from(answer.subarray(0, last.start));
    unsigned.writeUInt16BE(originalId, 0);
    unsigned.writeUInt16BE(arcount - 1, 10);
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16BE(requestMac.length);
    const expected = createHmac(HASH[key.algorithm], key.secret)
      .update(prefix)
      .update(requestMac)
      .update(unsigned)
      .update(variables(key, timeSigned, fudge, error, other))
      .digest();
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected))
      return { ok: false, reason: "bad answer MAC" };
    if (Math.abs(Math.floor(now / 1000) - timeSigned) > fudge)
      return { ok: false, reason: "answer time outside fudge" };
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: err instanceof DnsDecodeError ? err.message : "malformed TSIG record" };
  }
}

/** Offset past the uncompressed name at `at` (TSIG's algorithm name is never compressed, §4.2). */
function skipTo(msg: Buffer, at: number): number {
  let p = at;
  while (p < msg.length && msg[p] !== 0) p += 1 + (msg[p] as number);
  if (p >= msg.length) throw new DnsDecodeError("truncated algorithm name");
  return p + 1;
}

/** Throws for a name encodeName refuses, so that a bad key name is reported at provision time. */
export function checkKeyName(name: string): void {
  encodeName(name);
}
