/**
 * Textual IP addresses <-> bytes, without allocating on the parse side.
 *
 * Parsing is strict as proxy-protocol.txt §2.1 asks: IPv4 is exactly four decimal octets in [0, 255]
 * with no leading zeros (no octal ambiguity); IPv6 is the RFC 4291 §2.2 text form (1-4 hex digits per
 * group, at most one "::", an optional dotted IPv4 tail), no zone id.
 *
 * IPv6 formatting reproduces libuv's inet_ntop, which is what Node uses for socket.remoteAddress: the
 * first longest run of two or more zero groups becomes "::", hex in lowercase without leading zeros, and
 * IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) addresses end in dotted form. Headers we
 * parse therefore compare equal, as strings, to the addresses of real sockets.
 */

const DIGIT_0 = 0x30;
const DOT = 0x2e;
const COLON = 0x3a;

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Parses src[start, end) as dotted-quad IPv4 into out[off, off + 4). False when invalid. */
export function parseIPv4Bytes(
  src: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  off: number,
): boolean {
  let octet = 0;
  let i = start;
  while (octet < 4) {
    if (i >= end || !isDigit(src[i]!)) return false;
    const first = i;
    let value = 0;
    while (i < end && isDigit(src[i]!)) {
      value = value * 10 + (src[i]! - DIGIT_0);
      i++;
      if (i - first > 3) return false;
    }
    if (value > 255 || (i - first > 1 && src[first] === DIGIT_0)) return false;
    out[off + octet] = value;
    octet++;
    if (octet < 4) {
      if (i >= end || src[i] !== DOT) return false;
      i++;
    }
  }
  return i === end;
}

/**
 * True when src[start, end) can still grow into a valid IPv4 text: the complete octets are valid and the
 * one being typed is empty or valid. Used to fail early on a v1 line instead of waiting for more bytes.
 */
export function isIPv4Prefix(src: Uint8Array, start: number, end: number): boolean {
  let octets = 1;
  let digits = 0;
  let value = 0;
  let leadingZero = false;
  for (let i = start; i < end; i++) {
    const c = src[i]!;
    if (c === DOT) {
      if (digits === 0 || octets === 4) return false;
      octets++;
      digits = 0;
      value = 0;
      leadingZero = false;
    } else if (isDigit(c)) {
      if (leadingZero) return false;
      if (digits === 0 && c === DIGIT_0) leadingZero = true;
      value = value * 10 + (c - DIGIT_0);
      digits++;
      if (value > 255) return false;
    } else {
      return false;
    }
  }
  return true;
}

/** Parses src[start, end) as IPv6 text into out[off, off + 16). False when invalid. */
export function parseIPv6Bytes(
  src: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  off: number,
): boolean {
  if (end - start < 2) return false;
  let i = start;
  let words = 0;
  let gapAt = -1;
  if (src[i] === COLON) {
    if (src[i + 1] !== COLON) return false;
    gapAt = 0;
    i += 2;
  }
  while (i < end) {
    if (words >= 8) return false;
    const groupStart = i;
    let value = 0;
    while (i < end && i - groupStart < 5) {
      const h = hexValue(src[i]!);
      if (h < 0) break;
      value = value * 16 + h;
      i++;
    }
    const digits = i - groupStart;
    if (digits === 0) return false;
    if (i < end && src[i] === DOT) {
      // Dotted IPv4 tail: takes the last two groups and ends the address.
      if (words > 6 || !parseIPv4Bytes(src, groupStart, end, out, off + words * 2)) return false;
      words += 2;
      i = end;
      break;
    }
    if (digits > 4) return false;
    out[off + words * 2] = value >>> 8;
    out[off + words * 2 + 1] = value & 0xff;
    words++;
    if (i === end) break;
    if (src[i] !== COLON) return false;
    i++;
    if (i < end && src[i] === COLON) {
      if (gapAt !== -1) return false;
      gapAt = words;
      i++;
    } else if (i === end) {
      return false; // a single trailing colon
    }
  }
  if (gapAt === -1) return words === 8;
  if (words > 7) return false; // "::" stands for at least one group
  // Move the groups after the gap to the end and zero the gap.
  const tail = (words - gapAt) * 2;
  const gapBytes = 16 - words * 2;
  out.copyWithin(off + gapAt * 2 + gapBytes, off + gapAt * 2, off + gapAt * 2 + tail);
  out.fill(0, off + gapAt * 2, off + gapAt * 2 + gapBytes);
  return true;
}

/** Dotted-quad text of b[off, off + 4). */
export function formatIPv4(b: Uint8Array, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** Text of b[off, off + 16), exactly as Node/libuv prints it (see the file comment). */
export function formatIPv6(b: Uint8Array, off: number): string {
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let w = 0; w < 8; w++) {
    if (b[off + w * 2] === 0 && b[off + w * 2 + 1] === 0) {
      if (curBase === -1) {
        curBase = w;
        curLen = 1;
      } else {
        curLen++;
      }
      if (curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
    } else {
      curBase = -1;
    }
  }
  if (bestLen < 2) bestBase = -1;

  let text = "";
  for (let w = 0; w < 8; w++) {
    if (bestBase !== -1 && w >= bestBase && w < bestBase + bestLen) {
      if (w === bestBase) text += ":";
      continue;
    }
    if (w !== 0) text += ":";
    const mappedOrCompatible =
      bestBase === 0 && (bestLen === 6 || (bestLen === 5 && b[off + 10] === 0xff && b[off + 11] === 0xff));
    if (w === 6 && mappedOrCompatible) {
      text += formatIPv4(b, off + 12);
      return text;
    }
    text += ((b[off + w * 2]! << 8) | b[off + w * 2 + 1]!).toString(16);
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) text += ":";
  return text;
}

/** True when b[off, off + 16) is an IPv4-mapped IPv6 address (::ffff:a.b.c.d, RFC 4291 §2.5.5.2). */
export function isIPv4Mapped(b: Uint8Array, off: number): boolean {
  for (let i = 0; i < 10; i++) if (b[off + i] !== 0) return false;
  return b[off + 10] === 0xff && b[off + 11] === 0xff;
}
