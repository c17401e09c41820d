// Fresh request ids: random UUIDs (RFC 9562 §5.4, version 4), 122 bits from the CSPRNG each, as
// node:crypto's randomUUID makes them, but cheaper per id: randomUUID concatenates 20 strings per id
// (flattened later, when the id is written), here one randomFillSync covers 4096 ids and each id's
// digits are written into one 36-byte ASCII buffer, copied out as one flat latin1 string. All the work
// per id is a 16-step loop in this function, which runs for every request and so is optimised
// early (a loop over a whole batch, run once per many requests, stayed slow in a busy server). Each
// random byte is used once.
import { randomFillSync } from "node:crypto";
import { latin1 } from "../../http/field-syntax.ts";

// Measured in a weir worker under load, a randomFillSync call costs tens of µs almost whatever its size
// (about 3 µs for 16 bytes, 36 µs for 4 KiB, 65 µs for 64 KiB; a tight loop outside weir shows 2 µs
// for 4 KiB), so random bytes are drawn 64 KiB at a time: some 16 ns per id.
const IDS_PER_FILL = 4096;
const random = Buffer.allocUnsafeSlow(IDS_PER_FILL * 16);
let next = random.length;
/** One id's text; the hyphens stay, the 32 digits are rewritten for every id. */
const text = Buffer.from("00000000-0000-0000-0000-000000000000", "latin1");
/** The ASCII codes of each byte's two hex digits. */
const HIGH_DIGIT = new Uint8Array(256);
const LOW_DIGIT = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  HIGH_DIGIT[b] = "0123456789abcdef".charCodeAt(b >> 4);
  LOW_DIGIT[b] = "0123456789abcdef".charCodeAt(b & 0x0f);
}

/** Where each of the 16 bytes' two digits go in the 8-4-4-4-12 text. */
const DIGITS_AT = Uint8Array.of(0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34);

/** A new random UUID v4 in its lower-case 8-4-4-4-12 form, e.g. "3b241101-e2bb-4255-8caf-4136c566a962". */
export function newRequestId(): string {
  if (next === random.length) {
    randomFillSync(random);
    next = 0;
  }
  const r = next;
  next += 16;
  random[r + 6] = (random[r + 6]! & 0x0f) | 0x40; // RFC 9562 §4.2: version 4
  random[r + 8] = (random[r + 8]! & 0x3f) | 0x80; // RFC 9562 §4.1: variant 0b10
  for (let i = 0; i < 16; i++) {
    const byte = random[r + i]!;
    const at = DIGITS_AT[i]!;
    text[at] = HIGH_DIGIT[byte]!;
    text[at + 1] = LOW_DIGIT[byte]!;
  }
  // Buffer's own latin1 decoder: toString("latin1") spends a third of an id checking its arguments.
  return latin1(text, 0, 36);
}
