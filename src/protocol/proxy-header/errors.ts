/**
 * Stable error codes of the PROXY header codec. Callers use them as metric labels and log fields, so a
 * value, once published, never changes meaning. The parser returns them (it never throws); the builders
 * throw a ProxyHeaderBuildError carrying one.
 */
export const ProxyHeaderErrorCode = {
  /** The first bytes are neither "PROXY " (v1) nor the 12-byte v2 signature. */
  BAD_SIGNATURE: "PROXY_BAD_SIGNATURE",
  /** A well-formed start of a version the caller did not allow. */
  VERSION_NOT_ALLOWED: "PROXY_VERSION_NOT_ALLOWED",
  /** v1: no CRLF within the first 107 bytes (proxy-protocol.txt §2.1). */
  V1_TOO_LONG: "PROXY_V1_TOO_LONG",
  /** v1: anything that does not match the line grammar exactly (spaces, CRLF, missing fields). */
  V1_BAD_SYNTAX: "PROXY_V1_BAD_SYNTAX",
  /** v2: the version nibble of the 13th byte is not 2. */
  V2_BAD_VERSION: "PROXY_V2_BAD_VERSION",
  /** v2: the command nibble is neither LOCAL (0) nor PROXY (1). */
  V2_BAD_COMMAND: "PROXY_V2_BAD_COMMAND",
  /** v1 protocol word other than TCP4/TCP6/UNKNOWN, v2 family/transport byte outside the valid set. */
  BAD_FAMILY: "PROXY_BAD_FAMILY",
  /** v2: the length field is smaller than the address block its family needs. */
  V2_BAD_LENGTH: "PROXY_V2_BAD_LENGTH",
  /** An address that is not valid for its family. */
  BAD_ADDRESS: "PROXY_BAD_ADDRESS",
  /** A port that is not a decimal integer in [0, 65535] without leading zeros. */
  BAD_PORT: "PROXY_BAD_PORT",
  /** v2: a TLV (or an SSL sub-TLV) runs past the end of the header or of its parent. */
  TRUNCATED_TLV: "PROXY_TRUNCATED_TLV",
  /** v2: a known TLV whose value is malformed (e.g. UNIQUE_ID over 128 bytes, SSL shorter than 5). */
  BAD_TLV: "PROXY_BAD_TLV",
  /** v2: the CRC32C TLV does not match the header (proxy-protocol.txt §2.2.3). */
  BAD_CRC: "PROXY_BAD_CRC",
} as const;

export type ProxyHeaderErrorCode = (typeof ProxyHeaderErrorCode)[keyof typeof ProxyHeaderErrorCode];

/** Thrown by the builders when asked to encode something the wire format cannot carry. */
export class ProxyHeaderBuildError extends Error {
  readonly code: ProxyHeaderErrorCode;
  constructor(code: ProxyHeaderErrorCode, message: string) {
    super(message);
    this.name = "ProxyHeaderBuildError";
    this.code = code;
  }
}
