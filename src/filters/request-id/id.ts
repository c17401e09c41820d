// Fresh request ids: random UUIDs (RFC 9562 §5.4, version 4), 122 bits from the CSPRNG each, as
// node:crypto's randomUUID makes them, but cheaper per id. randomUUID draws 128 ids' bytes at a time
// and concatenates 20 strings per id; here one randomFillSync covers 256 ids, their text is written
// into one ASCII buffer in a single loop, and each id is one latin1 string copied out of it (flat,
// 36 bytes, so a kept id holds no reference to the batch). An id is used once: every byte
// is overwritten before the next batch is handed out.
import { randomFillSync } from "node:crypto";

/** Buffer's own latin1 decoder, which `toString("latin1", ...)` calls after checking its arguments
 * (about 40 ns a call, a third of an id); it is on every Buffer but not in @types/node. */
interface LatinSlicing {
  latin1Slice(start: number, end: number): string;
}

const IDS_PER_BATCH = 256;
const ID_LENGTH = 36;
const random = Buffer.allocUnsafeSlow(IDS_PER_BATCH * 16);
const text = Buffer.allocUnsafeSlow(IDS_PER_BATCH * ID_LENGTH) as Buffer & LatinSlicing;
const HYPHEN = 0x2d;
/** The ASCII codes of each byte's two hex digits. */
const HIGH_DIGIT = new Uint8Array(256);
const LOW_DIGIT = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  HIGH_DIGIT[b] = "0123456789abcdef".charCodeAt(b >> 4);
  LOW_DIGIT[b] = "0123456789abcdef".charCodeAt(b & 0x0f);
}
let next = IDS_PER_BATCH;

/** Writes bytes `from` to `to` (exclusive) of `random` as hex at `w`; returns the next write index. */
function hex(from: number, to: number, w: number): number {
  for (let i = from; i < to; i++) {
    const b = random[i]!;
    text[w++] = HIGH_DIGIT[b]!;
    text[w++] = LOW_DIGIT[b]!;
  }
  return w;
}

// Straight-line per id (no per-byte branches): this runs once per 256 requests, in a process busy with
// other code, so it must be fast before and after the JIT gets to it.
function refill(): void {
  randomFillSync(random);
  // RFC 9562 §4.2 version 4 in byte 6, §4.1 variant 0b10 in byte 8.
  for (let r = 6; r < random.length; r += 16) random[r] = (random[r]! & 0x0f) | 0x40;
  for (let r = 8; r < random.length; r += 16) random[r] = (random[r]! & 0x3f) | 0x80;
  let w = 0;
  for (let r = 0; r < random.length; r += 16) {
    w = hex(r, r + 4, w);
    text[w++] = HYPHEN;
    w = hex(r + 4, r + 6, w);
    text[w++] = HYPHEN;
    w = hex(r + 6, r + 8, w);
    text[w++] = HYPHEN;
    w = hex(r + 8, r + 10, w);
    text[w++] = HYPHEN;
    w = hex(r + 10, r + 16, w);
  }
  next = 0;
}

/** A new random UUID v4 in its lower-case 8-4-4-4-12 form, e.g. "3b241101-e2bb-4255-8caf-4136c566a962". */
export function newRequestId(): string {
  if (next === IDS_PER_BATCH) refill();
  const at = next++ * ID_LENGTH;
  return text.latin1Slice(at, at + ID_LENGTH);
}
