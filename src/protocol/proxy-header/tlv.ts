/**
 * PROXY v2 TLVs (proxy-protocol.txt §2.2): decoding the TLV area of a received header into the known
 * fields, and the sizes/writers the v2 builder uses. Values are views into the input, never copies.
 */
import { isUtf8 } from "node:buffer";
import { CRC32C_INITIAL_STATE, crc32cFinish, crc32cUpdate, crc32cUpdateZeros } from "./crc32c.ts";
import { ProxyHeaderErrorCode } from "./errors.ts";
import type { ParseError, SslInfo, Tlv, TlvFields } from "./types.ts";
import { PP2_SUBTYPE_SSL, PP2_TYPE, UNIQUE_ID_MAX_LENGTH } from "./types.ts";

/** type (1 byte) + length (2 bytes, big endian). */
export const TLV_HEADER_LENGTH = 3;
/** PP2_TYPE_SSL value: client (1 byte) + verify (4 bytes), then sub-TLVs. */
const SSL_FIXED_LENGTH = 5;

const EMPTY_TLVS: readonly Tlv[] = Object.freeze([]);

const NO_TLVS: TlvFields = Object.freeze({ tlvs: EMPTY_TLVS, crc32cChecked: false });

function fail(code: ParseError["code"], message: string): ParseError {
  return { kind: "error", code, message };
}

/**
 * Decodes buf[start, end) as a TLV list. headerStart is where the whole v2 header begins: a CRC32C TLV
 * is verified over buf[headerStart, end) with its own 4-byte value taken as zeros (§2.2.3).
 * Known TLVs fill their field the first time they appear; every TLV is also listed in `tlvs`.
 */
export function decodeTlvs(
  buf: Buffer,
  headerStart: number,
  start: number,
  end: number,
): TlvFields | ParseError {
  if (start === end) return NO_TLVS;
  const fields: TlvFields = { tlvs: EMPTY_TLVS, crc32cChecked: false };
  const tlvs: Tlv[] = [];
  let crcValueAt = -1;
  let pos = start;
  while (pos < end) {
    if (end - pos < TLV_HEADER_LENGTH) {
      return fail(ProxyHeaderErrorCode.TRUNCATED_TLV, `TLV header at offset ${pos} is cut by the header end`);
    }
    const type = buf[pos]!;
    const length = (buf[pos + 1]! << 8) | buf[pos + 2]!;
    const valueStart = pos + TLV_HEADER_LENGTH;
    const valueEnd = valueStart + length;
    if (valueEnd > end) {
      return fail(ProxyHeaderErrorCode.TRUNCATED_TLV, `TLV 0x${type.toString(16)} overruns the header`);
    }
    const value = buf.subarray(valueStart, valueEnd);
    tlvs.push({ type, value });
    switch (type) {
      case PP2_TYPE.ALPN:
        fields.alpn ??= value.toString("latin1");
        break;
      case PP2_TYPE.AUTHORITY:
        if (!isUtf8(value)) return fail(ProxyHeaderErrorCode.BAD_TLV, "AUTHORITY TLV is not valid UTF-8");
        fields.authority ??= value.toString("utf8");
        break;
      case PP2_TYPE.CRC32C:
        if (length !== 4) return fail(ProxyHeaderErrorCode.BAD_TLV, `CRC32C TLV has length ${length}, not 4`);
        if (crcValueAt !== -1) return fail(ProxyHeaderErrorCode.BAD_TLV, "more than one CRC32C TLV");
        crcValueAt = valueStart;
        break;
      case PP2_TYPE.UNIQUE_ID:
        if (length > UNIQUE_ID_MAX_LENGTH) {
          return fail(ProxyHeaderErrorCode.BAD_TLV, `UNIQUE_ID TLV has ${length} bytes, over 128`);
        }
        fields.uniqueId ??= value;
        break;
      case PP2_TYPE.SSL: {
        const ssl = decodeSsl(value);
        if ("kind" in ssl) return ssl;
        fields.ssl ??= ssl;
        break;
      }
      case PP2_TYPE.NETNS:
        fields.netns ??= value.toString("latin1");
        break;
      default:
        break; // NOOP and unknown types: kept raw in `tlvs` only
    }
    pos = valueEnd;
  }
  fields.tlvs = tlvs;
  if (crcValueAt !== -1) {
    let state = crc32cUpdate(CRC32C_INITIAL_STATE, buf, headerStart, crcValueAt);
    state = crc32cUpdateZeros(state, 4);
    state = crc32cUpdate(state, buf, crcValueAt + 4, end);
    if (crc32cFinish(state) !== buf.readUInt32BE(crcValueAt)) {
      return fail(ProxyHeaderErrorCode.BAD_CRC, "CRC32C of the header does not match its CRC32C TLV");
    }
    fields.crc32cChecked = true;
  }
  return fields;
}

function decodeSsl(value: Buffer): SslInfo | ParseError {
  if (value.length < SSL_FIXED_LENGTH) {
    return fail(ProxyHeaderErrorCode.BAD_TLV, `SSL TLV has ${value.length} bytes, needs at least 5`);
  }
  const ssl: SslInfo = { client: value[0]!, verify: value.readUInt32BE(1), tlvs: EMPTY_TLVS };
  const subs: Tlv[] = [];
  let pos = SSL_FIXED_LENGTH;
  while (pos < value.length) {
    if (value.length - pos < TLV_HEADER_LENGTH) {
      return fail(ProxyHeaderErrorCode.TRUNCATED_TLV, "SSL sub-TLV header is cut by the SSL TLV end");
    }
    const type = value[pos]!;
    const length = (value[pos + 1]! << 8) | value[pos + 2]!;
    const valueEnd = pos + TLV_HEADER_LENGTH + length;
    if (valueEnd > value.length) {
      return fail(
        ProxyHeaderErrorCode.TRUNCATED_TLV,
        `SSL sub-TLV 0x${type.toString(16)} overruns the SSL TLV`,
      );
    }
    const sub = value.subarray(pos + TLV_HEADER_LENGTH, valueEnd);
    subs.push({ type, value: sub });
    switch (type) {
      case PP2_SUBTYPE_SSL.VERSION:
        ssl.version ??= sub.toString("latin1");
        break;
      case PP2_SUBTYPE_SSL.CN:
        if (!isUtf8(sub)) return fail(ProxyHeaderErrorCode.BAD_TLV, "SSL CN sub-TLV is not valid UTF-8");
        ssl.cn ??= sub.toString("utf8");
        break;
      case PP2_SUBTYPE_SSL.CIPHER:
        ssl.cipher ??= sub.toString("latin1");
        break;
      case PP2_SUBTYPE_SSL.SIG_ALG:
        ssl.sigAlg ??= sub.toString("latin1");
        break;
      case PP2_SUBTYPE_SSL.KEY_ALG:
        ssl.keyAlg ??= sub.toString("latin1");
        break;
      default:
        break;
    }
    pos = valueEnd;
  }
  if (subs.length > 0) ssl.tlvs = subs;
  return ssl;
}

/** Writes one TLV header at `at` and returns where its value starts. */
export function writeTlvHeader(out: Buffer, at: number, type: number, length: number): number {
  out[at] = type;
  out[at + 1] = length >>> 8;
  out[at + 2] = length & 0xff;
  return at + TLV_HEADER_LENGTH;
}
