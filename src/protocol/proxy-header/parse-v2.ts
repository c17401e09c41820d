/**
 * PROXY protocol v2, the binary header (proxy-protocol.txt §2.2):
 *
 *   signature (12) | ver_cmd (1) | fam (1) | len (2, big endian) | address block | TLVs
 *
 * The fixed 16 bytes are checked byte by byte as they arrive, so garbage is rejected as soon as it shows.
 * After that the total size (16 + len) is known, and the body is decoded once all of it is there.
 *
 * Choices where the spec leaves room:
 * - fam must be one of the seven listed values (0x00, 0x11, 0x12, 0x21, 0x22, 0x31, 0x32); others are
 *   rejected, as §2.2 asks.
 * - LOCAL: the family is ignored and the header reports family "unspec" with no addresses (§2.2: "discard
 *   the protocol block including the family"). When fam is valid and len covers its address block, the
 *   TLVs after it are still decoded (a CRC32C is still verified); otherwise the block is skipped whole.
 * - PROXY with AF_UNSPEC: no addresses; what follows the 16 bytes is decoded as TLVs.
 * - AF_UNIX paths are decoded as UTF-8 (see UnixEndpoint for abstract sockets).
 */
import { ProxyHeaderErrorCode } from "./errors.ts";
import { formatIPv4, formatIPv6 } from "./ip-address.ts";
import { decodeTlvs } from "./tlv.ts";
import type { ParseError, ParseResult, ProxyHeader, Tlv, TlvFields, UnixEndpoint } from "./types.ts";
import { UNIX_PATH_LENGTH, V2_FIXED_LENGTH, V2_SIGNATURE } from "./types.ts";

const INCOMPLETE: ParseResult = Object.freeze({ kind: "incomplete" });
const NO_TLVS: readonly Tlv[] = Object.freeze([]);

const COMMAND_LOCAL = 0x0;
const COMMAND_PROXY = 0x1;

/** Address block length for each valid fam byte; absent means the byte is invalid. */
function addressBlockLength(fam: number): number {
  switch (fam) {
    case 0x00:
      return 0;
    case 0x11:
    case 0x12:
      return 12;
    case 0x21:
    case 0x22:
      return 36;
    case 0x31:
    case 0x32:
      return 2 * UNIX_PATH_LENGTH;
    default:
      return -1;
  }
}

function fail(code: ParseError["code"], message: string): ParseError {
  return { kind: "error", code, message };
}

function unixPath(buf: Buffer, start: number): string {
  const end = start + UNIX_PATH_LENGTH;
  if (buf[start] !== 0) {
    let nul = start;
    while (nul < end && buf[nul] !== 0) nul++;
    return buf.toString("utf8", start, nul);
  }
  // Abstract socket: the name is length-delimited and may hold NULs; only the padding is dropped.
  let last = end;
  while (last > start && buf[last - 1] === 0) last--;
  return last === start ? "" : buf.toString("utf8", start, last);
}

function withTlvs(base: Omit<ProxyHeader, keyof TlvFields>, fields: TlvFields): ProxyHeader {
  const header = base as ProxyHeader;
  header.tlvs = fields.tlvs;
  header.crc32cChecked = fields.crc32cChecked;
  if (fields.alpn !== undefined) header.alpn = fields.alpn;
  if (fields.authority !== undefined) header.authority = fields.authority;
  if (fields.uniqueId !== undefined) header.uniqueId = fields.uniqueId;
  if (fields.ssl !== undefined) header.ssl = fields.ssl;
  if (fields.netns !== undefined) header.netns = fields.netns;
  return header;
}

/**
 * Parses a v2 header at the start of buf. Never throws, never reads past 16 + len, and on success
 * `length` is 16 + len: what follows is client data.
 */
export function parseProxyHeaderV2(buf: Buffer): ParseResult {
  const available = buf.length;
  const sigLength = Math.min(available, V2_SIGNATURE.length);
  for (let i = 0; i < sigLength; i++) {
    if (buf[i] !== V2_SIGNATURE[i])
      return fail(ProxyHeaderErrorCode.BAD_SIGNATURE, "not a PROXY v2 signature");
  }
  if (available < 13) return INCOMPLETE;
  const verCmd = buf[12]!;
  if (verCmd >> 4 !== 2)
    return fail(ProxyHeaderErrorCode.V2_BAD_VERSION, `v2 version nibble is ${verCmd >> 4}`);
  const command = verCmd & 0x0f;
  if (command !== COMMAND_LOCAL && command !== COMMAND_PROXY) {
    return fail(ProxyHeaderErrorCode.V2_BAD_COMMAND, `v2 command ${command} is neither LOCAL nor PROXY`);
  }
  if (available < 14) return INCOMPLETE;
  const fam = buf[13]!;
  const blockLength = addressBlockLength(fam);
  if (blockLength < 0 && command === COMMAND_PROXY) {
    return fail(
      ProxyHeaderErrorCode.BAD_FAMILY,
      `v2 family/transport byte 0x${fam.toString(16)} is not valid`,
    );
  }
  if (available < V2_FIXED_LENGTH) return INCOMPLETE;
  const length = V2_FIXED_LENGTH + buf.readUInt16BE(14);
  const bodyTooShort = length - V2_FIXED_LENGTH < blockLength;
  if (bodyTooShort && command === COMMAND_PROXY) {
    return fail(
      ProxyHeaderErrorCode.V2_BAD_LENGTH,
      `v2 length is shorter than the ${blockLength}-byte address block`,
    );
  }
  if (available < length) return INCOMPLETE;

  if (command === COMMAND_LOCAL) {
    const base = { version: 2, command: "local", family: "unspec", transport: "unspec" } as const;
    if (blockLength < 0 || bodyTooShort) {
      return { kind: "header", header: { ...base, tlvs: NO_TLVS, crc32cChecked: false }, length };
    }
    const fields = decodeTlvs(buf, 0, V2_FIXED_LENGTH + blockLength, length);
    if ("kind" in fields) return fields;
    return { kind: "header", header: withTlvs({ ...base }, fields), length };
  }

  const fields = decodeTlvs(buf, 0, V2_FIXED_LENGTH + blockLength, length);
  if ("kind" in fields) return fields;
  const transport = (fam & 0x0f) === 1 ? "stream" : (fam & 0x0f) === 2 ? "dgram" : "unspec";
  const a = V2_FIXED_LENGTH;
  switch (fam >> 4) {
    case 1:
    case 2: {
      // Both families lay the block out the same way (§2.2): source address, destination address, then
      // the two ports; only the address size and its text form differ.
      const ipv4 = fam >> 4 === 1;
      const size = ipv4 ? 4 : 16;
      const format = ipv4 ? formatIPv4 : formatIPv6;
      const header = withTlvs(
        {
          version: 2,
          command: "proxy",
          family: ipv4 ? "ipv4" : "ipv6",
          transport,
          source: { address: format(buf, a), port: buf.readUInt16BE(a + 2 * size) },
          destination: { address: format(buf, a + size), port: buf.readUInt16BE(a + 2 * size + 2) },
        },
        fields,
      );
      return { kind: "header", header, length };
    }
    case 3: {
      const source: UnixEndpoint = { path: unixPath(buf, a) };
      const destination: UnixEndpoint = { path: unixPath(buf, a + UNIX_PATH_LENGTH) };
      const header = withTlvs(
        { version: 2, command: "proxy", family: "unix", transport, source, destination },
        fields,
      );
      return { kind: "header", header, length };
    }
    default: {
      const header = withTlvs(
        { version: 2, command: "proxy", family: "unspec", transport: "unspec" },
        fields,
      );
      return { kind: "header", header, length };
    }
  }
}
