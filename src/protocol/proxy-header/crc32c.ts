/**
 * CRC-32C (Castagnoli), as used by the PP2_TYPE_CRC32C TLV (proxy-protocol.txt §2.2.3, which points to
 * RFC 4960 Appendix B): reflected polynomial 0x82F63B78, initial value and final XOR 0xFFFFFFFF.
 * Byte-at-a-time with a 256-entry table: a PROXY header is a few dozen bytes, so wider slicing would not pay.
 *
 * The running "state" below is the register before the final XOR, so a checksum can be computed piecewise
 * (e.g. header bytes, then the checksum field as zeros, then the rest) without copying the header.
 */

const CASTAGNOLI_REFLECTED = 0x82f63b78;

const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ CASTAGNOLI_REFLECTED : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export const CRC32C_INITIAL_STATE = 0xffffffff;

/** Feeds data[start, end) into a running state. */
export function crc32cUpdate(state: number, data: Uint8Array, start: number, end: number): number {
  let c = state;
  for (let i = start; i < end; i++) c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return c;
}

/** Feeds `count` zero bytes into a running state. */
export function crc32cUpdateZeros(state: number, count: number): number {
  let c = state;
  for (let i = 0; i < count; i++) c = TABLE[c & 0xff]! ^ (c >>> 8);
  return c;
}

/** Turns a running state into the checksum (unsigned 32-bit). */
export function crc32cFinish(state: number): number {
  return (state ^ 0xffffffff) >>> 0;
}

/** CRC-32C of data[start, end). */
export function crc32c(data: Uint8Array, start = 0, end = data.length): number {
  return crc32cFinish(crc32cUpdate(CRC32C_INITIAL_STATE, data, start, end));
}
