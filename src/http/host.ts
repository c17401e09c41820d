// The Host header (RFC 9112 §3.2) and HTTP/2 :authority (RFC 9113 §8.3.1), reduced to the name routes
// match on: lower case, without port and trailing dot. One pass over the characters, no regex, no
// allocation when the value is already in normal form (the common case: "a.test" or "a.test:8080").

/** RFC 3986 §3.2.2 reg-name characters: unreserved, pct-encoded ("%") and sub-delims. */
const REG_NAME = new Uint8Array(128);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~%!$&'()*+,;=") {
  REG_NAME[c.charCodeAt(0)] = 1;
}
const HEX_OR_COLON = new Uint8Array(128);
for (const c of "0123456789abcdefABCDEF:.") HEX_OR_COLON[c.charCodeAt(0)] = 1;

const COLON = 0x3a;
const DOT = 0x2e;
const OPEN = 0x5b;

/**
 * "A.Test:8080" → "a.test", "[::1]:80" → "[::1]", "" → "" (an empty host is valid syntax, RFC 9112
 * §3.2, and routes like a missing one). Returns undefined for a value that is not `uri-host [":" port]`.
 */
export function routingHost(value: string): string | undefined {
  const length = value.length;
  if (length === 0) return "";
  let end = length;
  let upper = false;
  if (value.charCodeAt(0) === OPEN) {
    const close = value.indexOf("]");
    if (close < 3) return undefined;
    for (let i = 1; i < close; i++) {
      const c = value.charCodeAt(i);
      if (c >= 128 || HEX_OR_COLON[c] === 0) return undefined;
      if (c >= 0x41 && c <= 0x46) upper = true;
    }
    end = close + 1;
    if (end < length && !isPort(value, end)) return undefined;
  } else {
    for (let i = 0; i < length; i++) {
      const c = value.charCodeAt(i);
      if (c === COLON) {
        if (!isPort(value, i)) return undefined;
        end = i;
        break;
      }
      if (c >= 128 || REG_NAME[c] === 0) return undefined;
      if (c >= 0x41 && c <= 0x5a) upper = true;
    }
    if (end === 0) return undefined;
    if (value.charCodeAt(end - 1) === DOT) end--;
  }
  const host = end === length ? value : value.slice(0, end);
  return upper ? host.toLowerCase() : host;
}

/** True when value[colon] is ":" followed by 0 to 5 digits and nothing else (RFC 3986 allows empty). */
function isPort(value: string, colon: number): boolean {
  if (value.charCodeAt(colon) !== COLON || value.length - colon - 1 > 5) return false;
  for (let i = colon + 1; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}
