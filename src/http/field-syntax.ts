// The HTTP/1 field syntax both of weir's parsers (requests from clients, responses from upstreams) and
// its response writer check against (RFC 9110 §5, RFC 9112 §5).

/** A field name: a token (RFC 9110 §5.1). Whitespace before the colon fails it too (RFC 9112 §5.1). */
export const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Anything a field value may not hold (RFC 9110 §5.5): controls other than HTAB, CR and LF included. */
export const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/** Controls (bare CR and LF among them) anywhere in a field section, except CRLF pairs (trailers). */
export const BAD_SECTION_TEXT = /[^\t\x20-\x7e\x80-\xff\r\n]|\r(?!\n)|(?<!\r)\n/;

/** `line` from `from` to `to`, without optional whitespace (SP, HTAB) at either end (RFC 9110 §5.5). */
export function trimOws(line: string, from: number, to = line.length): string {
  let start = from;
  let end = to;
  while (start < end && (line.charCodeAt(start) === 0x20 || line.charCodeAt(start) === 0x09)) start++;
  while (end > start && (line.charCodeAt(end - 1) === 0x20 || line.charCodeAt(end - 1) === 0x09)) end--;
  return line.slice(start, end);
}

const HEX = /^[0-9A-Fa-f]+$/;

/**
 * The size a chunk-size line gives (RFC 9112 §7.1; extensions are ignored), or -1 for an invalid line:
 * a control character anywhere, or a size that is not 1 to 13 hex digits (13 keeps it a safe integer).
 */
export function chunkSizeOf(line: string): number {
  if (BAD_VALUE.test(line)) return -1;
  const semi = line.indexOf(";");
  const size = trimOws(semi < 0 ? line : line.slice(0, semi), 0);
  if (size.length === 0 || size.length > 13 || !HEX.test(size)) return -1;
  return Number.parseInt(size, 16);
}

/** Whether `buf` holds an LF not preceded by CR at or after `from` (a head that will never end). */
export function hasBareLf(buf: Buffer, from: number): boolean {
  for (let i = buf.indexOf(0x0a, from); i >= 0; i = buf.indexOf(0x0a, i + 1)) {
    if (i === 0 || buf[i - 1] !== 0x0d) return true;
  }
  return false;
}

/**
 * Valid names seen before, by length: [spelling, lower case, spelling, lower case, ...]. Comparing a
 * fresh string with the few remembered ones of its length is cheaper than hashing it for a Map lookup.
 */
/** Spellings remembered per length; a client or upstream sending ever new names cannot grow it further. */
const MAX_REMEMBERED_PER_LENGTH = 16;
/** Longer names are checked every time (and keep `knownByLength` a small dense array). */
const MAX_REMEMBERED_LENGTH = 64;
const knownByLength: (string[] | undefined)[] = Array.from(
  { length: MAX_REMEMBERED_LENGTH + 1 },
  () => undefined,
);

/**
 * The lower-case form of a valid field name, or undefined for a name that is not a token. The same
 * few dozen names arrive on every message, so valid ones are remembered: a remembered name needs no
 * pattern check, and its lower-case string is one V8 already uses as a property key, which makes filling
 * a headers object with it several times cheaper than with a fresh string.
 */
export function fieldNameKey(name: string): string | undefined {
  const known = name.length <= MAX_REMEMBERED_LENGTH ? knownByLength[name.length] : undefined;
  if (known !== undefined) {
    for (let i = 0; i < known.length; i += 2) if (known[i] === name) return known[i + 1];
  }
  if (!FIELD_NAME.test(name)) return undefined;
  const lower = name.toLowerCase();
  if (name.length > MAX_REMEMBERED_LENGTH) return lower;
  if (known === undefined) knownByLength[name.length] = [name, lower];
  else if (known.length < MAX_REMEMBERED_PER_LENGTH * 2) known.push(name, lower);
  return lower;
}

/** Node's Buffer has latin1Slice (what toString("latin1") calls after checking its arguments) untyped. */
interface Latin1Sliceable {
  latin1Slice(start: number, end: number): string;
}

/** Bytes `start` to `end` of `buf` as a latin1 string (one character per byte), without toString's checks. */
export function latin1(buf: Buffer, start: number, end: number): string {
  return (buf as unknown as Latin1Sliceable).latin1Slice(start, end);
}

/**
 * How many bytes of a read are turned into a string to look for the end of a head there: a string
 * search is cheaper than Buffer.indexOf with a string, and the string is needed anyway. Heads longer
 * than this (rare) are found by the general path.
 */
export const HEAD_PEEK = 2048;
