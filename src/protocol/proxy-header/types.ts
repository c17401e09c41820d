import type { ProxyHeaderErrorCode } from "./errors.ts";

/** An IPv4/IPv6 endpoint. IPv6 text is formatted the way Node formats socket.remoteAddress. */
export interface InetEndpoint {
  address: string;
  port: number;
}

/**
 * An AF_UNIX endpoint. `path` is the sun_path content up to its first NUL; an abstract socket (first
 * byte NUL) keeps its leading "\0" and drops only the trailing NUL padding.
 */
export interface UnixEndpoint {
  path: string;
}

/** A TLV as found on the wire; `value` is a view into the parsed buffer (no copy). */
export interface Tlv {
  type: number;
  value: Buffer;
}

/** PP2_TYPE_SSL (proxy-protocol.txt §2.2.6), decoded. */
export interface SslInfo {
  /** Bit field of PP2_CLIENT_SSL | PP2_CLIENT_CERT_CONN | PP2_CLIENT_CERT_SESS. */
  client: number;
  /** Zero when the client presented a certificate that verified; non-zero otherwise. */
  verify: number;
  version?: string;
  cn?: string;
  cipher?: string;
  sigAlg?: string;
  keyAlg?: string;
  /** Every sub-TLV in wire order, the decoded ones included. */
  tlvs: readonly Tlv[];
}

/** What the TLV area contributes to a ProxyHeader (decoded by tlv.ts; a v1 header has none of it). */
export interface TlvFields {
  /** Every top-level TLV in wire order (NOOP and CRC32C included). Empty for v1. */
  tlvs: readonly Tlv[];
  /** PP2_TYPE_ALPN as latin1 text (ALPN ids are byte strings; "h2", "http/1.1"). First one wins. */
  alpn?: string;
  /** PP2_TYPE_AUTHORITY (SNI or host), UTF-8. */
  authority?: string;
  /** PP2_TYPE_UNIQUE_ID, at most 128 bytes, a view into the parsed buffer. */
  uniqueId?: Buffer;
  ssl?: SslInfo;
  /** PP2_TYPE_NETNS, US-ASCII. */
  netns?: string;
  /** True when a CRC32C TLV was present and matched (a mismatch is an error, never a header). */
  crc32cChecked: boolean;
}

interface ProxyHeaderCommon extends TlvFields {
  version: 1 | 2;
  /** "local": the proxy opened the connection itself (health check); use the real socket endpoints. */
  command: "proxy" | "local";
  /** v1 TCP4/TCP6 are "stream"; v1 UNKNOWN and v2 LOCAL/AF_UNSPEC are "unspec". */
  transport: "stream" | "dgram" | "unspec";
}

export type ProxyHeader = ProxyHeaderCommon &
  (
    | { family: "ipv4" | "ipv6"; source: InetEndpoint; destination: InetEndpoint }
    | { family: "unix"; source: UnixEndpoint; destination: UnixEndpoint }
    | { family: "unspec"; source?: undefined; destination?: undefined }
  );

export type ParseResult =
  | { kind: "incomplete" }
  | { kind: "header"; header: ProxyHeader; length: number }
  | { kind: "error"; code: ProxyHeaderErrorCode; message: string };

export type ParseError = Extract<ParseResult, { kind: "error" }>;

export interface ParseOptions {
  /** Which versions are accepted; default "any". */
  allow?: "v1" | "v2" | "any";
}

/** TLV types registered in proxy-protocol.txt §2.2. */
export const PP2_TYPE = {
  ALPN: 0x01,
  AUTHORITY: 0x02,
  CRC32C: 0x03,
  NOOP: 0x04,
  UNIQUE_ID: 0x05,
  SSL: 0x20,
  NETNS: 0x30,
} as const;

/** Sub-TLV types inside PP2_TYPE_SSL. */
export const PP2_SUBTYPE_SSL = {
  VERSION: 0x21,
  CN: 0x22,
  CIPHER: 0x23,
  SIG_ALG: 0x24,
  KEY_ALG: 0x25,
} as const;

/** Bits of SslInfo.client. */
export const PP2_CLIENT = {
  SSL: 0x01,
  CERT_CONN: 0x02,
  CERT_SESS: 0x04,
} as const;

/** proxy-protocol.txt §2.1: the longest v1 line, CRLF included ("PROXY UNKNOWN" + two full IPv6 + ports). */
export const V1_MAX_LENGTH = 107;
/** The fixed part of a v2 header: signature, ver/cmd, fam, length. */
export const V2_FIXED_LENGTH = 16;
/** proxy-protocol.txt §2.2.5. */
export const UNIQUE_ID_MAX_LENGTH = 128;
/** sun_path size carried by v2 AF_UNIX addresses. */
export const UNIX_PATH_LENGTH = 108;

/** The v2 signature (proxy-protocol.txt §2.2). */
export const V2_SIGNATURE: Buffer = Buffer.from([
  0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
]);
/** The v1 line starts with these six bytes. */
export const V1_SIGNATURE: Buffer = Buffer.from("PROXY ", "latin1");
