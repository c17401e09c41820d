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
const HEX_DIGITS = Buffer.from("0123456789abcdef", "latin1");
const HYPHEN = 0x2d;
let next = IDS_PER_BATCH;

function refill(): void {
  randomFillSync(random);
  let w = 0;
  for (let i = 0; i < IDS_PER_BATCH; i++) {
    const r = i * 16;
    for (let j = 0; j < 16; j++) {
      let byte = random[r + j]!;
      // RFC 9562 §4.1 variant 0b10, §4.2 version 4; the hyphens go before bytes 4, 6, 8 and 10.
      if (j === 6) byte = (byte & 0x0f) | 0x40;
      else if (j === 8) byte = (byte & 0x3f) | 0x80;
      if (j === 4 || j === 6 || j === 8 || j === 10) text[w++] = HYPHEN;
      text[w++] = HEX_DIGITS[byte >> 4]!;
      text[w++] = HEX_DIGITS[byte & 0x0f]!;
    }
  }
  next = 0;
}

/** A new random UUID v4 in its lower-case 8-4-4-4-12 form, e.g. "3b241101-e2bb-4255-8caf-4136c566a962". */
export function newRequestId(): string {
  if (next === IDS_PER_BATCH) refill();
  const at = next++ * ID_LENGTH;
  return text.latin1Slice(at, at + ID_LENGTH);
}
