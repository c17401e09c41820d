// parseClientHello: the entry point of the ClientHello codec. Feed it everything received so far on a
// connection; it answers "incomplete" until the records carrying the hello have arrived, then the hello
// and how many bytes it took, or a typed error as soon as the bytes cannot be a ClientHello.
// It never throws and never reads outside `buf`.

import { parseExtensions } from "./extensions.ts";
import { ByteReader } from "./reader.ts";
import { readClientHelloMessage } from "./records.ts";
import {
  type ClientHello,
  ClientHelloErrorCode,
  type ClientHelloResult,
  helloError,
  type ParseClientHelloOptions,
} from "./types.ts";

export const DEFAULT_MAX_HELLO_BYTES = 16 * 1024;
const RANDOM_LENGTH = 32;
const MAX_SESSION_ID_LENGTH = 32;

export function parseClientHello(buf: Buffer, opts?: ParseClientHelloOptions): ClientHelloResult {
  // A NaN budget would disable every bound check; treat it as absent rather than throw.
  const requested = opts?.maxBytes;
  const maxBytes = requested === undefined || Number.isNaN(requested) ? DEFAULT_MAX_HELLO_BYTES : requested;
  const message = readClientHelloMessage(buf, maxBytes);
  if (message.kind !== "message") return message;
  const hello: ClientHello = {
    legacyVersion: 0,
    recordVersion: message.recordVersion,
    alpn: [],
    supportedVersions: [],
    cipherSuites: [],
    hasSessionTicket: false,
    hasPreSharedKey: false,
    pskModes: [],
    extensions: [],
  };
  const error = parseBody(new ByteReader(message.body), hello);
  if (error !== undefined) return error;
  return { kind: "hello", hello, length: message.length };
}

/**
 * ClientHello body (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2):
 *   legacy_version(2) random(32) legacy_session_id<0..32> cipher_suites<2..2^16-2>
 *   legacy_compression_methods<1..2^8-1> [extensions<0..2^16-1>]
 * Extensions may be absent altogether in a TLS 1.2 or older hello, but nothing may follow them.
 */
function parseBody(body: ByteReader, hello: ClientHello) {
  hello.legacyVersion = body.u16();
  if (hello.legacyVersion < 0 || !body.skip(RANDOM_LENGTH)) return malformed("ClientHello is truncated");

  const sessionId = body.vector(1);
  if (sessionId === undefined) return malformed("legacy_session_id runs past the hello");
  if (sessionId.remaining > MAX_SESSION_ID_LENGTH) {
    return malformed(`legacy_session_id of ${sessionId.remaining} bytes`);
  }

  const suites = body.vector(2);
  if (suites === undefined) return malformed("cipher_suites runs past the hello");
  if (suites.remaining < 2 || suites.remaining % 2 !== 0) {
    return malformed(`cipher_suites of ${suites.remaining} bytes`);
  }
  while (suites.remaining > 0) hello.cipherSuites.push(suites.u16());

  const compression = body.vector(1);
  if (compression === undefined || compression.remaining === 0) {
    return malformed("legacy_compression_methods is empty or runs past the hello");
  }

  if (body.remaining === 0) return undefined;
  const extensions = body.vector(2);
  if (extensions === undefined || body.remaining !== 0) {
    return helloError(
      ClientHelloErrorCode.MALFORMED_EXTENSION,
      "extensions length does not match the rest of the hello",
    );
  }
  return parseExtensions(extensions, hello);
}

function malformed(message: string) {
  return helloError(ClientHelloErrorCode.MALFORMED_HELLO, message);
}
