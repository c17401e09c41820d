// Validation of the server_name HostName (RFC 6066 §3): "the fully qualified DNS hostname of the server,
// as understood by the client", ASCII, "without a trailing dot", and "Literal IPv4 and IPv6 addresses
// are not permitted". Internationalized names arrive as A-labels ("xn--..."), so any byte outside ASCII
// is an error.

const MAX_NAME_LENGTH = 253; // RFC 1035 §2.3.4, in presentation form without the trailing dot
const MAX_LABEL_LENGTH = 63; // RFC 1035 §2.3.4

export type HostNameCheck = { ok: true; name: string } | { ok: false; reason: string };

/**
 * Checks the bytes buf[start..end) as a DNS host name and returns it lowercased.
 *
 * Accepted: labels of letters, digits, hyphens (not first or last in a label) and underscores
 * (not allowed by RFC 1123 but present in real names and harmless for matching). One trailing dot is
 * removed rather than refused: some clients have sent it, and the name means the same either way.
 */
export function checkHostName(buf: Buffer, start: number, end: number): HostNameCheck {
  let stop = end;
  if (stop > start && buf[stop - 1] === 0x2e) stop--; // trailing "."
  const length = stop - start;
  if (length <= 0) return { ok: false, reason: "empty host name" };
  if (length > MAX_NAME_LENGTH) return { ok: false, reason: `host name of ${length} bytes` };

  let labelStart = start;
  let hasUpper = false;
  let lastLabelAllDigits = true;
  for (let i = start; i <= stop; i++) {
    const c = i < stop ? buf[i]! : 0x2e; // a virtual "." closes the last label
    if (c === 0x2e) {
      const labelLength = i - labelStart;
      if (labelLength === 0) return { ok: false, reason: "empty label" };
      if (labelLength > MAX_LABEL_LENGTH) return { ok: false, reason: `label of ${labelLength} bytes` };
      if (buf[labelStart] === 0x2d || buf[i - 1] === 0x2d) {
        return { ok: false, reason: "label starts or ends with a hyphen" };
      }
      labelStart = i + 1;
      if (i < stop) lastLabelAllDigits = true;
      continue;
    }
    if (c >= 0x30 && c <= 0x39) continue; // digit
    lastLabelAllDigits = false;
    if (c >= 0x61 && c <= 0x7a) continue; // a-z
    if (c >= 0x41 && c <= 0x5a) {
      hasUpper = true;
      continue;
    }
    if (c === 0x2d || c === 0x5f) continue; // "-" "_"
    return { ok: false, reason: `byte 0x${c.toString(16).padStart(2, "0")} in host name` };
  }
  // A name whose last label is all digits is an IPv4 literal (or could be read as one).
  if (lastLabelAllDigits) return { ok: false, reason: "IP address literal" };

  const name = buf.toString("latin1", start, stop);
  return { ok: true, name: hasUpper ? name.toLowerCase() : name };
}
