// Classifies the first bytes a client sent, without consuming them, so that an `auto` listener can hand
// the connection to the TLS, HTTP/2 or HTTP/1 path, or to an opaque tunnel. It runs on every such
// connection: it reads at most MAX_DETECT_BYTES bytes, allocates nothing and converts nothing to strings.

export type DetectedProtocol = "tls" | "http2" | "http1" | "unknown" | "incomplete";

/** RFC 9113 §3.4: the client connection preface. */
const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
/**
 * Longest method accepted while waiting for its SP. Registered methods are at most 17 bytes
 * ("UPDATEREDIRECTREF"); a longer token is not worth waiting for.
 */
export const MAX_METHOD_LENGTH = 20;
/** RFC 9112 §2.2: a server SHOULD ignore at least one empty line (CRLF) before the request-line. */
const MAX_LEADING_EMPTY_LINE_BYTES = 4;
/** With this many bytes the answer is never "incomplete". */
export const MAX_DETECT_BYTES = MAX_LEADING_EMPTY_LINE_BYTES + MAX_METHOD_LENGTH + 2;

const CONTENT_TYPE_HANDSHAKE = 0x16;
const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;

/** RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA */
const TCHAR = byteSet("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
/**
 * First byte of a request-target (RFC 9112 §3.2): "/" (origin-form), "*" (asterisk-form), a scheme's
 * ALPHA (absolute-form), or a host's first character in authority-form (ALPHA, DIGIT, "[" for IPv6).
 */
const TARGET_START = byteSet("/*[0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");

/**
 * Classifies `buf`, the bytes received so far:
 * - "tls": a TLS handshake record header, 0x16 0x03 0x00..0x04 (RFC 8446 §5.1);
 * - "http2": the full HTTP/2 connection preface; "incomplete" while `buf` is a prefix of it, which wins
 *   over HTTP/1 because "PRI * HTTP/2.0" is also a well-formed request line;
 * - "http1": optional empty lines, a method token (RFC 9110 §9), SP and the first byte of a request-target;
 *   "incomplete" while `buf` is a prefix of that shape;
 * - "unknown" as soon as `buf` can be none of these.
 * Once the answer is not "incomplete", more bytes never change it.
 */
export function detectProtocol(buf: Buffer): DetectedProtocol {
  const length = buf.length;
  if (length === 0) return "incomplete";
  const first = buf[0]!;
  if (first === CONTENT_TYPE_HANDSHAKE) {
    if (length < 2) return "incomplete";
    if (buf[1] !== 0x03) return "unknown";
    if (length < 3) return "incomplete";
    return buf[2]! <= 0x04 ? "tls" : "unknown";
  }
  if (first === HTTP2_PREFACE[0] && isPrefacePrefix(buf)) {
    return length >= HTTP2_PREFACE.length ? "http2" : "incomplete";
  }
  return detectHttp1(buf);
}

/** True when the first min(buf.length, 24) bytes of `buf` match the HTTP/2 preface. */
function isPrefacePrefix(buf: Buffer): boolean {
  const end = Math.min(buf.length, HTTP2_PREFACE.length);
  for (let i = 1; i < end; i++) {
    if (buf[i] !== HTTP2_PREFACE[i]) return false;
  }
  return true;
}

function detectHttp1(buf: Buffer): DetectedProtocol {
  const length = buf.length;
  let i = 0;
  while (i < length && i < MAX_LEADING_EMPTY_LINE_BYTES && (buf[i] === CR || buf[i] === LF)) i++;
  const methodStart = i;
  while (i < length && TCHAR[buf[i]!] === 1) {
    i++;
    if (i - methodStart > MAX_METHOD_LENGTH) return "unknown";
  }
  if (i === length) return "incomplete";
  if (buf[i] !== SP || i === methodStart) return "unknown";
  i++;
  if (i === length) return "incomplete";
  return TARGET_START[buf[i]!] === 1 ? "http1" : "unknown";
}

function byteSet(chars: string): Uint8Array {
  const set = new Uint8Array(256);
  for (let i = 0; i < chars.length; i++) set[chars.charCodeAt(i)] = 1;
  return set;
}
