/**
 * PROXY protocol v1, the text line (proxy-protocol.txt §2.1):
 *
 *   "PROXY" SP ( "TCP4" | "TCP6" ) SP src SP dst SP sport SP dport CRLF
 *   "PROXY" SP "UNKNOWN" [ SP <anything but CR/LF> ] CRLF
 *
 * at most 107 bytes with the CRLF. Strict: single spaces, addresses valid for the announced family,
 * ports in [0, 65535] without leading zeros, nothing but CRLF to end the line. The scan stops at the first
 * byte that cannot belong to a valid line, so a bad header is reported as soon as it shows, and
 * "incomplete" means every byte so far can still start a valid line (addresses are checked by character
 * class and length until their delimiter arrives; the rest exactly).
 */
import { ProxyHeaderErrorCode } from "./errors.ts";
import { formatIPv6, isIPv4Prefix, parseIPv4Bytes, parseIPv6Bytes } from "./ip-address.ts";
import type { InetEndpoint, ParseError, ParseResult, ProxyHeader, Tlv } from "./types.ts";
import { V1_MAX_LENGTH, V1_SIGNATURE } from "./types.ts";

const SP = 0x20;
const CR = 0x0d;
const LF = 0x0a;
const DIGIT_0 = 0x30;
/** Longest IPv6 text: eight groups with a dotted IPv4 tail, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255". */
const IPV6_TEXT_MAX = 45;
const IPV4_TEXT_MAX = 15;
const PORT_TEXT_MAX = 5;

const INCOMPLETE: ParseResult = Object.freeze({ kind: "incomplete" });
const NO_TLVS: readonly Tlv[] = Object.freeze([]);
/** Scratch space for IPv6 parsing; parsing is synchronous, so one buffer per module is enough. */
const scratch = new Uint8Array(16);

const PROTOCOLS = ["TCP4", "TCP6", "UNKNOWN"] as const;
type Protocol = (typeof PROTOCOLS)[number];

function fail(code: ParseError["code"], message: string): ParseError {
  return { kind: "error", code, message };
}

function syntax(message: string): ParseError {
  return fail(ProxyHeaderErrorCode.V1_BAD_SYNTAX, message);
}

/** Out of bytes at a point where the line may still be valid: wait, unless the 107-byte budget is spent. */
function needMore(available: number): ParseResult {
  if (available >= V1_MAX_LENGTH) {
    return fail(ProxyHeaderErrorCode.V1_TOO_LONG, "no CRLF within the first 107 bytes of a v1 header");
  }
  return INCOMPLETE;
}

/** Index of the first SP, CR or LF in buf[from, limit), or -1. */
function findDelimiter(buf: Buffer, from: number, limit: number): number {
  for (let i = from; i < limit; i++) {
    const c = buf[i];
    if (c === SP || c === CR || c === LF) return i;
  }
  return -1;
}

/** Which protocol word buf[start, end) is; with `partial`, whether it is a prefix of one. */
function matchProtocol(
  buf: Buffer,
  start: number,
  end: number,
  partial: boolean,
): Protocol | "prefix" | undefined {
  for (const word of PROTOCOLS) {
    const n = end - start;
    if (n > word.length || (!partial && n !== word.length)) continue;
    let same = true;
    for (let i = 0; i < n; i++) {
      if (buf[start + i] !== word.charCodeAt(i)) {
        same = false;
        break;
      }
    }
    if (same) return partial ? "prefix" : word;
  }
  return undefined;
}

function isHexOrColonOrDot(c: number): boolean {
  return (c >= 0x30 && c <= 0x3a) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46) || c === 0x2e;
}

function isAddressPrefix(buf: Buffer, start: number, end: number, ipv6: boolean): boolean {
  if (!ipv6) return end - start <= IPV4_TEXT_MAX && isIPv4Prefix(buf, start, end);
  if (end - start > IPV6_TEXT_MAX) return false;
  for (let i = start; i < end; i++) if (!isHexOrColonOrDot(buf[i]!)) return false;
  return true;
}

/** Port digits so far: no leading zero, at most five digits, never above 65535. */
function isPortPrefix(buf: Buffer, start: number, end: number): boolean {
  if (end - start > PORT_TEXT_MAX) return false;
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (c < DIGIT_0 || c > DIGIT_0 + 9) return false;
    if (i > start && buf[start] === DIGIT_0) return false;
    value = value * 10 + (c - DIGIT_0);
  }
  return value <= 0xffff;
}

/** The complete port token buf[start, end), or -1. */
function portValue(buf: Buffer, start: number, end: number): number {
  if (end === start || !isPortPrefix(buf, start, end)) return -1;
  let value = 0;
  for (let i = start; i < end; i++) value = value * 10 + (buf[i]! - DIGIT_0);
  return value;
}

/** The address token buf[start, end) in its canonical (Node) text, or undefined when invalid. */
function addressText(buf: Buffer, start: number, end: number, ipv6: boolean): string | undefined {
  if (ipv6) return parseIPv6Bytes(buf, start, end, scratch, 0) ? formatIPv6(scratch, 0) : undefined;
  // A valid IPv4 token is already canonical (no leading zeros), so its text is the answer.
  return parseIPv4Bytes(buf, start, end, scratch, 0) ? buf.toString("latin1", start, end) : undefined;
}

/** "PROXY UNKNOWN": skip to CRLF; a lone CR or LF is not an end of line (§2.1). */
function parseUnknownTail(buf: Buffer, from: number, limit: number): ParseResult {
  for (let i = from; i < limit; i++) {
    const c = buf[i];
    if (c === LF) return syntax("bare LF in a v1 header");
    if (c === CR) {
      if (i + 1 >= limit) return needMore(limit);
      if (buf[i + 1] !== LF) return syntax("CR not followed by LF in a v1 header");
      const header: ProxyHeader = {
        version: 1,
        command: "proxy",
        family: "unspec",
        transport: "unspec",
        tlvs: NO_TLVS,
        crc32cChecked: false,
      };
      return { kind: "header", header, length: i + 2 };
    }
  }
  return needMore(limit);
}

/**
 * Parses a v1 header at the start of buf. Never throws, never looks past byte 107, and on success
 * `length` is the offset just after the CRLF: what follows is client data.
 */
export function parseProxyHeaderV1(buf: Buffer): ParseResult {
  const limit = Math.min(buf.length, V1_MAX_LENGTH);
  const sigLength = Math.min(limit, V1_SIGNATURE.length);
  for (let i = 0; i < sigLength; i++) {
    if (buf[i] !== V1_SIGNATURE[i]) return fail(ProxyHeaderErrorCode.BAD_SIGNATURE, "not a PROXY v1 line");
  }
  if (limit < V1_SIGNATURE.length) return INCOMPLETE;

  // Protocol word.
  let pos = V1_SIGNATURE.length;
  let end = findDelimiter(buf, pos, limit);
  if (end === -1) {
    if (matchProtocol(buf, pos, limit, true) === undefined) {
      return fail(ProxyHeaderErrorCode.BAD_FAMILY, "v1 protocol is not TCP4, TCP6 or UNKNOWN");
    }
    return needMore(limit);
  }
  if (end === pos) return syntax("empty protocol word in a v1 header");
  const protocol = matchProtocol(buf, pos, end, false);
  if (protocol === undefined || protocol === "prefix") {
    return fail(ProxyHeaderErrorCode.BAD_FAMILY, "v1 protocol is not TCP4, TCP6 or UNKNOWN");
  }
  if (protocol === "UNKNOWN") {
    if (buf[end] === LF) return syntax("bare LF in a v1 header");
    return parseUnknownTail(buf, end, limit);
  }
  if (buf[end] !== SP) return syntax(`${protocol} must be followed by a space`);
  const ipv6 = protocol === "TCP6";

  // Four space-separated fields, the last one ended by CRLF.
  let source = "";
  let destination = "";
  let sourcePort = 0;
  let destinationPort = 0;
  for (let field = 0; field < 4; field++) {
    pos = end + 1;
    end = findDelimiter(buf, pos, limit);
    const isPort = field >= 2;
    const tokenEnd = end === -1 ? limit : end;
    const validSoFar = isPort ? isPortPrefix(buf, pos, tokenEnd) : isAddressPrefix(buf, pos, tokenEnd, ipv6);
    if (!validSoFar) {
      return isPort
        ? fail(ProxyHeaderErrorCode.BAD_PORT, "v1 port is not a decimal integer in [0, 65535]")
        : fail(
            ProxyHeaderErrorCode.BAD_ADDRESS,
            `v1 address is not a valid ${ipv6 ? "IPv6" : "IPv4"} address`,
          );
    }
    if (end === -1) return needMore(limit);
    if (end === pos) return syntax("empty field or double space in a v1 header");
    const expected = field === 3 ? CR : SP;
    if (buf[end] !== expected) {
      return syntax(
        field === 3 ? "v1 header must end with CRLF after the ports" : "missing field in a v1 header",
      );
    }
    if (isPort) {
      const port = portValue(buf, pos, end);
      if (port < 0)
        return fail(ProxyHeaderErrorCode.BAD_PORT, "v1 port is not a decimal integer in [0, 65535]");
      if (field === 2) sourcePort = port;
      else destinationPort = port;
    } else {
      const text = addressText(buf, pos, end, ipv6);
      if (text === undefined) {
        return fail(
          ProxyHeaderErrorCode.BAD_ADDRESS,
          `v1 address is not a valid ${ipv6 ? "IPv6" : "IPv4"} address`,
        );
      }
      if (field === 0) source = text;
      else destination = text;
    }
  }
  // `end` is at the CR.
  if (end + 1 >= limit) return needMore(limit);
  if (buf[end + 1] !== LF) return syntax("CR not followed by LF in a v1 header");

  const src: InetEndpoint = { address: source, port: sourcePort };
  const dst: InetEndpoint = { address: destination, port: destinationPort };
  const header: ProxyHeader = {
    version: 1,
    command: "proxy",
    family: ipv6 ? "ipv6" : "ipv4",
    transport: "stream",
    source: src,
    destination: dst,
    tlvs: NO_TLVS,
    crc32cChecked: false,
  };
  return { kind: "header", header, length: end + 2 };
}
