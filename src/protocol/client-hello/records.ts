// Reassembles the first handshake message from the TLS records at the start of a buffer.
//
// TLSPlaintext (RFC 8446 §5.1, RFC 5246 §6.2.1): type(1) legacy_record_version(2) length(2) fragment.
// A handshake message may be split over several consecutive handshake records, down to one byte per
// record, so the handshake header itself (msg_type(1) length(3), RFC 8446 §4) may straddle records.
// The input is whatever has arrived so far; every call starts again from byte 0 and never reads past
// buf.length.

import { type ClientHelloError, ClientHelloErrorCode, helloError } from "./types.ts";

const RECORD_HEADER_LENGTH = 5;
const HANDSHAKE_HEADER_LENGTH = 4;
const CONTENT_TYPE_HANDSHAKE = 22;
const HANDSHAKE_TYPE_CLIENT_HELLO = 1;
/** RFC 8446 §5.1: "The length MUST NOT exceed 2^14 bytes." */
export const MAX_RECORD_PAYLOAD = 16384;

export type HandshakeMessageResult =
  | { kind: "incomplete" }
  | ClientHelloError
  | {
      kind: "message";
      /** The ClientHello body, without the 4-byte handshake header. */
      body: Buffer;
      /** legacy_record_version of the first record. */
      recordVersion: number;
      /** Bytes of the records that carried the message. */
      length: number;
    };

const INCOMPLETE = Object.freeze({ kind: "incomplete" }) as { kind: "incomplete" };

/**
 * Reads the ClientHello handshake message from the records at the start of `buf`.
 * Returns "incomplete" while more bytes are needed, an error as soon as the bytes so far cannot start
 * a ClientHello within `maxBytes` bytes of records.
 */
export function readClientHelloMessage(buf: Buffer, maxBytes: number): HandshakeMessageResult {
  if (buf.length === 0) return INCOMPLETE;
  const first = buf[0]!;
  if (first !== CONTENT_TYPE_HANDSHAKE) {
    // SSLv2 record header: 2-byte length with the high bit set, then msg_type 1 (RFC 5246 Appendix E.2).
    if ((first & 0x80) !== 0 && (buf.length < 3 || buf[2] === 1)) {
      return helloError(ClientHelloErrorCode.SSL2_HELLO, "SSLv2-compatible ClientHello is not supported");
    }
    return helloError(ClientHelloErrorCode.NOT_HANDSHAKE, `first record has content type ${first}, not 22`);
  }

  // Fragments of complete records, in order; the handshake header is collected as it goes by.
  const fragments: Buffer[] = [];
  let handshakeBytes = 0;
  let messageEnd = -1; // handshake bytes the whole message needs, once its header is known
  let header = 0; // the first 4 handshake bytes as a big-endian number while fewer than 4 are known
  let headerBytes = 0;
  let recordVersion = -1;
  let offset = 0;

  for (;;) {
    const recordError = checkRecordHeader(buf, offset);
    if (recordError !== undefined) return recordError;
    if (offset + RECORD_HEADER_LENGTH > buf.length) return INCOMPLETE;

    const version = buf.readUInt16BE(offset + 1);
    if (recordVersion < 0) recordVersion = version;
    const payloadLength = buf.readUInt16BE(offset + 3);
    const recordEnd = offset + RECORD_HEADER_LENGTH + payloadLength;
    if (recordEnd > maxBytes) {
      return helloError(ClientHelloErrorCode.HELLO_TOO_LARGE, `ClientHello records exceed ${maxBytes} bytes`);
    }

    // Collect handshake header bytes, including from a record that has only partly arrived, so that a
    // wrong message type or an oversized length is reported without waiting for the rest.
    const available = Math.min(recordEnd, buf.length);
    for (let i = offset + RECORD_HEADER_LENGTH; i < available && headerBytes < HANDSHAKE_HEADER_LENGTH; i++) {
      header = header * 256 + buf[i]!;
      headerBytes++;
      if (headerBytes === 1 && header !== HANDSHAKE_TYPE_CLIENT_HELLO) {
        return helloError(
          ClientHelloErrorCode.NOT_CLIENT_HELLO,
          `first handshake message has type ${header}, not 1`,
        );
      }
      if (headerBytes === HANDSHAKE_HEADER_LENGTH) {
        messageEnd = HANDSHAKE_HEADER_LENGTH + (header & 0xffffff);
        // Every handshake byte needs a record, and the first record has a header: a lower bound.
        if (messageEnd + RECORD_HEADER_LENGTH > maxBytes) {
          return helloError(
            ClientHelloErrorCode.HELLO_TOO_LARGE,
            `ClientHello of ${messageEnd} bytes exceeds the limit of ${maxBytes} bytes of records`,
          );
        }
      }
    }
    if (recordEnd > buf.length) return INCOMPLETE;

    fragments.push(buf.subarray(offset + RECORD_HEADER_LENGTH, recordEnd));
    handshakeBytes += payloadLength;
    offset = recordEnd;

    if (messageEnd >= 0 && handshakeBytes >= messageEnd) {
      if (handshakeBytes > messageEnd) {
        // RFC 8446 §5.1: messages before a key change must end on a record boundary, and a client has
        // nothing else to send in the handshake before the server answers.
        return helloError(
          ClientHelloErrorCode.TRAILING_DATA,
          `${handshakeBytes - messageEnd} handshake bytes follow the ClientHello in its last record`,
        );
      }
      const message = fragments.length === 1 ? fragments[0]! : Buffer.concat(fragments, handshakeBytes);
      return {
        kind: "message",
        body: message.subarray(HANDSHAKE_HEADER_LENGTH),
        recordVersion,
        length: offset,
      };
    }
  }
}

/** Validates the part of the record header at `offset` that has arrived. */
function checkRecordHeader(buf: Buffer, offset: number): ClientHelloError | undefined {
  const have = buf.length - offset;
  if (have >= 1 && buf[offset] !== CONTENT_TYPE_HANDSHAKE) {
    return helloError(
      ClientHelloErrorCode.NOT_HANDSHAKE,
      `a record of content type ${buf[offset]} interrupts the ClientHello`,
    );
  }
  if (have >= 2 && buf[offset + 1] !== 3) {
    return helloError(ClientHelloErrorCode.BAD_RECORD_VERSION, `record version major ${buf[offset + 1]}`);
  }
  if (have >= 3 && buf[offset + 2]! > 4) {
    return helloError(ClientHelloErrorCode.BAD_RECORD_VERSION, `record version 3.${buf[offset + 2]}`);
  }
  if (have >= RECORD_HEADER_LENGTH) {
    const payloadLength = buf.readUInt16BE(offset + 3);
    if (payloadLength > MAX_RECORD_PAYLOAD) {
      return helloError(
        ClientHelloErrorCode.RECORD_TOO_LONG,
        `record length ${payloadLength} exceeds ${MAX_RECORD_PAYLOAD}`,
      );
    }
    if (payloadLength === 0) {
      return helloError(ClientHelloErrorCode.EMPTY_RECORD, "zero-length handshake record");
    }
  }
  return undefined;
}
