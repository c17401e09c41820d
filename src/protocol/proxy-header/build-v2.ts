/**
 * Builds a PROXY v2 header (proxy-protocol.txt §2.2).
 *
 * - command "local" (health checks): fam AF_UNSPEC, no addresses, as §2.2 asks of senders; TLVs may follow.
 * - command "proxy" without addresses: AF_UNSPEC too (the receiver then uses the real endpoints).
 * - IPv4/IPv6 pairs are resolved as in endpoint-pair.ts (mapped IPv6 unwrapped; mixed pairs sent as IPv6).
 * - UNIX paths are written as UTF-8 into the 108-byte sun_path field, NUL padded.
 * - TLV order: CRC32C (when asked), ALPN, AUTHORITY, UNIQUE_ID, SSL, NETNS, then extraTlvs as given.
 *   The CRC32C is computed over the finished header with its own value zeroed (§2.2.3).
 *
 * Throws ProxyHeaderBuildError (BAD_ADDRESS, BAD_PORT, BAD_FAMILY, BAD_TLV) on input the format cannot
 * carry: invalid or mixed UNIX/IP addresses, a UNIQUE_ID over 128 bytes, a TLV over 65535 bytes, a header
 * over 16 + 65535 bytes, or a CRC32C among extraTlvs.
 */
import { crc32c } from "./crc32c.ts";
import { resolveInetPair } from "./endpoint-pair.ts";
import { ProxyHeaderBuildError, ProxyHeaderErrorCode } from "./errors.ts";
import { TLV_HEADER_LENGTH, writeTlvHeader } from "./tlv.ts";
import type { InetEndpoint, SslInfo, Tlv, UnixEndpoint } from "./types.ts";
import {
  PP2_SUBTYPE_SSL,
  PP2_TYPE,
  UNIQUE_ID_MAX_LENGTH,
  UNIX_PATH_LENGTH,
  V2_FIXED_LENGTH,
  V2_SIGNATURE,
} from "./types.ts";

/**
 * What PP2_TYPE_SSL is built from: the fields the parser decodes into SslInfo, except that the raw
 * sub-TLVs are only the extra ones (the named fields are encoded by the builder).
 */
export interface SslInput extends Omit<SslInfo, "tlvs"> {
  /** Sub-TLVs appended after the named ones. */
  extraTlvs?: readonly Tlv[];
}

export interface ProxyHeaderV2Input {
  command?: "proxy" | "local";
  /** Default "stream". */
  transport?: "stream" | "dgram";
  source?: InetEndpoint | UnixEndpoint;
  destination?: InetEndpoint | UnixEndpoint;
  alpn?: string | Uint8Array;
  authority?: string;
  uniqueId?: Uint8Array;
  ssl?: SslInput;
  netns?: string;
  /** Raw TLVs appended after the named ones (custom 0xE0-0xEF types, NOOP padding, ...). */
  extraTlvs?: readonly Tlv[];
}

export interface BuildV2Options {
  /** Add a PP2_TYPE_CRC32C TLV. */
  crc32c?: boolean;
}

const MAX_VALUE_LENGTH = 0xffff;

function bad(code: ProxyHeaderBuildError["code"], message: string): never {
  throw new ProxyHeaderBuildError(code, message);
}

/** A TLV to write: its type and value bytes. */
interface PendingTlv {
  type: number;
  value: Uint8Array;
}

function stringTlv(type: number, text: string, encoding: "utf8" | "latin1"): PendingTlv {
  return { type, value: Buffer.from(text, encoding) };
}

function tlvSize(value: Uint8Array, what: string): number {
  if (value.length > MAX_VALUE_LENGTH) bad(ProxyHeaderErrorCode.BAD_TLV, `${what} TLV is over 65535 bytes`);
  return TLV_HEADER_LENGTH + value.length;
}

function encodeSsl(ssl: SslInput): Uint8Array {
  const subs: PendingTlv[] = [];
  if (ssl.version !== undefined) subs.push(stringTlv(PP2_SUBTYPE_SSL.VERSION, ssl.version, "latin1"));
  if (ssl.cn !== undefined) subs.push(stringTlv(PP2_SUBTYPE_SSL.CN, ssl.cn, "utf8"));
  if (ssl.cipher !== undefined) subs.push(stringTlv(PP2_SUBTYPE_SSL.CIPHER, ssl.cipher, "latin1"));
  if (ssl.sigAlg !== undefined) subs.push(stringTlv(PP2_SUBTYPE_SSL.SIG_ALG, ssl.sigAlg, "latin1"));
  if (ssl.keyAlg !== undefined) subs.push(stringTlv(PP2_SUBTYPE_SSL.KEY_ALG, ssl.keyAlg, "latin1"));
  for (const t of ssl.extraTlvs ?? []) subs.push(t);
  let size = 5;
  for (const t of subs) size += tlvSize(t.value, "SSL sub");
  const out = Buffer.alloc(size);
  if (!Number.isInteger(ssl.client) || ssl.client < 0 || ssl.client > 0xff) {
    bad(ProxyHeaderErrorCode.BAD_TLV, "SSL client field must be a byte");
  }
  if (!Number.isInteger(ssl.verify) || ssl.verify < 0 || ssl.verify > 0xffffffff) {
    bad(ProxyHeaderErrorCode.BAD_TLV, "SSL verify field must be an unsigned 32-bit integer");
  }
  out[0] = ssl.client;
  out.writeUInt32BE(ssl.verify, 1);
  let at = 5;
  for (const t of subs) {
    at = writeTlvHeader(out, at, t.type, t.value.length);
    out.set(t.value, at);
    at += t.value.length;
  }
  return out;
}

function collectTlvs(h: ProxyHeaderV2Input): PendingTlv[] {
  const tlvs: PendingTlv[] = [];
  if (h.alpn !== undefined) {
    tlvs.push(
      typeof h.alpn === "string" ? stringTlv(PP2_TYPE.ALPN, h.alpn, "latin1") : { type: 1, value: h.alpn },
    );
  }
  if (h.authority !== undefined) tlvs.push(stringTlv(PP2_TYPE.AUTHORITY, h.authority, "utf8"));
  if (h.uniqueId !== undefined) {
    if (h.uniqueId.length > UNIQUE_ID_MAX_LENGTH)
      bad(ProxyHeaderErrorCode.BAD_TLV, "UNIQUE_ID is over 128 bytes");
    tlvs.push({ type: PP2_TYPE.UNIQUE_ID, value: h.uniqueId });
  }
  if (h.ssl !== undefined) tlvs.push({ type: PP2_TYPE.SSL, value: encodeSsl(h.ssl) });
  if (h.netns !== undefined) tlvs.push(stringTlv(PP2_TYPE.NETNS, h.netns, "latin1"));
  for (const t of h.extraTlvs ?? []) {
    if (!Number.isInteger(t.type) || t.type < 0 || t.type > 0xff)
      bad(ProxyHeaderErrorCode.BAD_TLV, "TLV type is not a byte");
    if (t.type === PP2_TYPE.CRC32C) {
      bad(ProxyHeaderErrorCode.BAD_TLV, "a CRC32C TLV cannot be passed raw; use the crc32c option");
    }
    tlvs.push(t);
  }
  return tlvs;
}

function isUnix(e: InetEndpoint | UnixEndpoint): e is UnixEndpoint {
  return "path" in e;
}

function writeUnixPath(out: Buffer, at: number, path: unknown, role: string): void {
  if (typeof path !== "string") bad(ProxyHeaderErrorCode.BAD_ADDRESS, `${role} path is not a string`);
  const n = Buffer.byteLength(path, "utf8");
  if (n > UNIX_PATH_LENGTH) bad(ProxyHeaderErrorCode.BAD_ADDRESS, `${role} path is over 108 bytes`);
  out.write(path, at, n, "utf8"); // the field was zero-filled: the rest is NUL padding
}

export function buildProxyHeaderV2(h: ProxyHeaderV2Input, opts?: BuildV2Options): Buffer {
  const local = h.command === "local";
  const transportBits = h.transport === "dgram" ? 0x2 : 0x1;
  const { source, destination } = h;
  const hasAddresses = !local && source !== undefined && destination !== undefined;
  if (!local && (source === undefined) !== (destination === undefined)) {
    bad(ProxyHeaderErrorCode.BAD_ADDRESS, "give both source and destination, or neither");
  }

  let fam = 0x00;
  let blockLength = 0;
  let writeBlock: (out: Buffer, at: number) => void = () => {};
  if (hasAddresses) {
    const srcUnix = isUnix(source);
    if (srcUnix !== isUnix(destination)) {
      bad(ProxyHeaderErrorCode.BAD_FAMILY, "source and destination mix a UNIX path and an IP address");
    }
    if (srcUnix) {
      fam = 0x30 | transportBits;
      blockLength = 2 * UNIX_PATH_LENGTH;
      writeBlock = (out, at) => {
        writeUnixPath(out, at, source.path, "source");
        writeUnixPath(out, at + UNIX_PATH_LENGTH, (destination as UnixEndpoint).path, "destination");
      };
    } else {
      const pair = resolveInetPair(source, destination as InetEndpoint);
      const size = pair.source.length;
      fam = (pair.family === "ipv4" ? 0x10 : 0x20) | transportBits;
      blockLength = 2 * size + 4;
      writeBlock = (out, at) => {
        out.set(pair.source, at);
        out.set(pair.destination, at + size);
        out.writeUInt16BE(pair.sourcePort, at + 2 * size);
        out.writeUInt16BE(pair.destinationPort, at + 2 * size + 2);
      };
    }
  }

  const tlvs = collectTlvs(h);
  const withCrc = opts?.crc32c === true;
  let bodyLength = blockLength + (withCrc ? TLV_HEADER_LENGTH + 4 : 0);
  for (const t of tlvs) bodyLength += tlvSize(t.value, `type 0x${t.type.toString(16)}`);
  if (bodyLength > MAX_VALUE_LENGTH) bad(ProxyHeaderErrorCode.BAD_TLV, "v2 header body is over 65535 bytes");

  const out = Buffer.alloc(V2_FIXED_LENGTH + bodyLength);
  V2_SIGNATURE.copy(out, 0);
  out[12] = 0x20 | (local ? 0x0 : 0x1);
  out[13] = fam;
  out.writeUInt16BE(bodyLength, 14);
  writeBlock(out, V2_FIXED_LENGTH);
  let at = V2_FIXED_LENGTH + blockLength;
  let crcAt = -1;
  if (withCrc) {
    crcAt = writeTlvHeader(out, at, PP2_TYPE.CRC32C, 4);
    at = crcAt + 4;
  }
  for (const t of tlvs) {
    at = writeTlvHeader(out, at, t.type, t.value.length);
    out.set(t.value, at);
    at += t.value.length;
  }
  if (crcAt !== -1) out.writeUInt32BE(crc32c(out), crcAt); // the field is still zero here
  return out;
}
