// Shapes returned by the ClientHello parser. The parser is a codec with no policy: it reports what
// the client offered and leaves every decision (routing by SNI, refusing old versions) to its caller.

/**
 * Why a byte stream is not an acceptable ClientHello. Values are stable strings meant to be used as
 * metric labels and log fields; add new codes, never rename existing ones.
 */
export const ClientHelloErrorCode = {
  /** The first record is not a handshake record (content type 22), or another type interrupts the hello. */
  NOT_HANDSHAKE: "TLS_NOT_HANDSHAKE",
  /** An SSLv2-compatible ClientHello (RFC 5246 Appendix E.2): not supported. */
  SSL2_HELLO: "TLS_SSL2_HELLO",
  /** A record's legacy_record_version is not 0x0300..0x0304. */
  BAD_RECORD_VERSION: "TLS_BAD_RECORD_VERSION",
  /** A record's length exceeds 2^14 (RFC 8446 §5.1). */
  RECORD_TOO_LONG: "TLS_RECORD_TOO_LONG",
  /** A zero-length handshake record (forbidden by RFC 8446 §5.1 and RFC 5246 §6.2.1). */
  EMPTY_RECORD: "TLS_EMPTY_RECORD",
  /** The first handshake message is not a ClientHello (msg_type 1). */
  NOT_CLIENT_HELLO: "TLS_NOT_CLIENT_HELLO",
  /** The records carrying the hello would exceed the caller's byte budget. */
  HELLO_TOO_LARGE: "TLS_HELLO_TOO_LARGE",
  /** More handshake bytes follow the ClientHello in the record that ends it (RFC 8446 §5.1). */
  TRAILING_DATA: "TLS_TRAILING_DATA",
  /** The ClientHello body does not follow RFC 8446 §4.1.2 / RFC 5246 §7.4.1.2. */
  MALFORMED_HELLO: "TLS_MALFORMED_HELLO",
  /** An extension block or a known extension's body is malformed. */
  MALFORMED_EXTENSION: "TLS_MALFORMED_EXTENSION",
  /** The same extension type appears twice (RFC 8446 §4.2). */
  DUPLICATE_EXTENSION: "TLS_DUPLICATE_EXTENSION",
  /** The server_name host name is not a valid DNS host name (RFC 6066 §3). */
  BAD_SNI: "TLS_BAD_SNI",
} as const;

export type ClientHelloErrorCode = (typeof ClientHelloErrorCode)[keyof typeof ClientHelloErrorCode];

/** What the client offered in its ClientHello. */
export interface ClientHello {
  /** legacy_version of the ClientHello body (0x0303 for TLS 1.2 and 1.3 clients). */
  legacyVersion: number;
  /** legacy_record_version of the first record (0x0301 or 0x0303 in practice). */
  recordVersion: number;
  /**
   * The host_name of the server_name extension (RFC 6066 §3): lowercased, validated as a DNS host name,
   * without a trailing dot. Absent when the client sent no server_name.
   */
  serverName?: string;
  /** ALPN protocol names in the client's order of preference (RFC 7301); empty when not offered. */
  alpn: string[];
  /**
   * supported_versions (RFC 8446 §4.2.1) in the client's order, GREASE values included; empty when the
   * extension is absent, in which case legacyVersion is the highest version offered.
   */
  supportedVersions: number[];
  /** Cipher suites in the client's order, GREASE values included. */
  cipherSuites: number[];
  /** The session_ticket extension carries a ticket, i.e. the client tries to resume (RFC 5077 §3.2). */
  hasSessionTicket: boolean;
  /** A pre_shared_key extension is present: a TLS 1.3 resumption or external PSK (RFC 8446 §4.2.11). */
  hasPreSharedKey: boolean;
  /** psk_key_exchange_modes (RFC 8446 §4.2.9); empty when absent. */
  pskModes: number[];
  /** Extension types in the order they were sent (useful for fingerprints and logs). */
  extensions: number[];
}

export type ClientHelloResult =
  | { kind: "incomplete" }
  | {
      kind: "hello";
      hello: ClientHello;
      /** Bytes of the TLS records that carried the hello, counted from the start of the buffer. */
      length: number;
    }
  | { kind: "error"; code: ClientHelloErrorCode; message: string };

export type ClientHelloError = Extract<ClientHelloResult, { kind: "error" }>;

export interface ParseClientHelloOptions {
  /** Upper bound on the bytes of the records carrying the hello; default 16 KiB. */
  maxBytes?: number;
}

export function helloError(code: ClientHelloErrorCode, message: string): ClientHelloError {
  return { kind: "error", code, message };
}
