// The ClientHello extension block (RFC 8446 §4.2): `Extension extensions<8..2^16-1>` where
// Extension = extension_type(2) extension_data<0..2^16-1>. Every extension type is recorded in order;
// the few that a proxy routes or logs on are decoded, the others are skipped unread.

import { isIP } from "node:net";
import { checkHostName } from "./host-name.ts";
import type { ByteReader } from "./reader.ts";
import { type ClientHello, type ClientHelloError, ClientHelloErrorCode, helloError } from "./types.ts";

export const ExtensionType = {
  SERVER_NAME: 0, // RFC 6066 §3
  ALPN: 16, // RFC 7301 §3.1
  SESSION_TICKET: 35, // RFC 5077 §3.2
  PRE_SHARED_KEY: 41, // RFC 8446 §4.2.11
  SUPPORTED_VERSIONS: 43, // RFC 8446 §4.2.1
  PSK_KEY_EXCHANGE_MODES: 45, // RFC 8446 §4.2.9
} as const;

const NAME_TYPE_HOST_NAME = 0;
/** Above this many extensions, duplicates are found with a Set instead of a linear scan. */
const LINEAR_DUPLICATE_SCAN_LIMIT = 32;

/** Parses the extension block (its contents, without the length prefix) into `hello`. */
export function parseExtensions(block: ByteReader, hello: ClientHello): ClientHelloError | undefined {
  const types = hello.extensions;
  let seen: Set<number> | undefined;
  while (block.remaining > 0) {
    const type = block.u16();
    const data = block.vector(2);
    if (type < 0 || data === undefined) {
      return malformed(`extension ${types.length} runs past the end of the extension block`);
    }
    if (hello.hasPreSharedKey) {
      // RFC 8446 §4.2.11: pre_shared_key "MUST be the last extension in the ClientHello".
      return malformed("pre_shared_key is not the last extension");
    }
    if (types.length >= LINEAR_DUPLICATE_SCAN_LIMIT) {
      seen ??= new Set(types);
      if (seen.has(type)) return duplicate(type);
      seen.add(type);
    } else if (types.includes(type)) {
      return duplicate(type);
    }
    types.push(type);

    const error = parseKnownExtension(type, data, hello);
    if (error !== undefined) return error;
  }
  return undefined;
}

function parseKnownExtension(
  type: number,
  data: ByteReader,
  hello: ClientHello,
): ClientHelloError | undefined {
  switch (type) {
    case ExtensionType.SERVER_NAME:
      return parseServerName(data, hello);
    case ExtensionType.ALPN:
      return parseAlpn(data, hello);
    case ExtensionType.SUPPORTED_VERSIONS:
      return parseSupportedVersions(data, hello);
    case ExtensionType.SESSION_TICKET:
      // An empty extension only announces support; a non-empty one carries a ticket to resume with.
      hello.hasSessionTicket = data.remaining > 0;
      return undefined;
    case ExtensionType.PRE_SHARED_KEY:
      hello.hasPreSharedKey = true;
      return undefined;
    case ExtensionType.PSK_KEY_EXCHANGE_MODES:
      return parsePskModes(data, hello);
    default:
      return undefined;
  }
}

/**
 * RFC 6066 §3: ServerNameList server_name_list<1..2^16-1>, ServerName = name_type(1) HostName<1..2^16-1>.
 * At most one name per name_type; names of types other than host_name are skipped.
 */
function parseServerName(data: ByteReader, hello: ClientHello): ClientHelloError | undefined {
  const list = data.vector(2);
  if (list === undefined || data.remaining !== 0 || list.remaining === 0) {
    return malformed("server_name list length does not match the extension");
  }
  let sawHostName = false;
  while (list.remaining > 0) {
    const nameType = list.u8();
    const name = list.vector(2);
    if (nameType < 0 || name === undefined) return malformed("server_name entry runs past its list");
    if (nameType !== NAME_TYPE_HOST_NAME) continue;
    if (sawHostName) return malformed("server_name holds two host names");
    sawHostName = true;
    // RFC 6066 §3 forbids IP literals here, yet clients given an https://ADDRESS URL send them (wrk,
    // several HTTP libraries) and nginx and HAProxy serve them: read such a name as no SNI at all.
    if (isIP(name.buf.toString("latin1", name.pos, name.end)) !== 0) continue;
    const check = checkHostName(name.buf, name.pos, name.end);
    if (!check.ok) return helloError(ClientHelloErrorCode.BAD_SNI, `server_name: ${check.reason}`);
    hello.serverName = check.name;
  }
  return undefined;
}

/** RFC 7301 §3.1: ProtocolNameList protocol_name_list<2..2^16-1>, ProtocolName opaque<1..2^8-1>. */
function parseAlpn(data: ByteReader, hello: ClientHello): ClientHelloError | undefined {
  const list = data.vector(2);
  if (list === undefined || data.remaining !== 0 || list.remaining === 0) {
    return malformed("ALPN list length does not match the extension");
  }
  while (list.remaining > 0) {
    const name = list.vector(1);
    if (name === undefined) return malformed("ALPN protocol name runs past its list");
    if (name.remaining === 0) return malformed("empty ALPN protocol name");
    hello.alpn.push(alpnName(name));
  }
  return undefined;
}

const COMMON_ALPN_NAMES = ["h2", "http/1.1"].map((name) => ({ name, bytes: Buffer.from(name, "latin1") }));

/**
 * The protocol name as a string. The names nearly every client sends are returned as shared constants,
 * without decoding. Others are opaque bytes decoded as latin1, one character per byte, so nothing is
 * lost or merged.
 */
function alpnName(name: ByteReader): string {
  for (const common of COMMON_ALPN_NAMES) {
    if (
      common.bytes.length === name.remaining &&
      name.buf.compare(common.bytes, 0, name.remaining, name.pos, name.end) === 0
    ) {
      return common.name;
    }
  }
  return name.buf.toString("latin1", name.pos, name.end);
}

/** RFC 8446 §4.2.1: in a ClientHello, ProtocolVersion versions<2..254>. */
function parseSupportedVersions(data: ByteReader, hello: ClientHello): ClientHelloError | undefined {
  const list = data.vector(1);
  if (list === undefined || data.remaining !== 0 || list.remaining < 2 || list.remaining % 2 !== 0) {
    return malformed("supported_versions list has a bad length");
  }
  while (list.remaining > 0) hello.supportedVersions.push(list.u16());
  return undefined;
}

/** RFC 8446 §4.2.9: PskKeyExchangeMode ke_modes<1..255>. */
function parsePskModes(data: ByteReader, hello: ClientHello): ClientHelloError | undefined {
  const list = data.vector(1);
  if (list === undefined || data.remaining !== 0 || list.remaining === 0) {
    return malformed("psk_key_exchange_modes list has a bad length");
  }
  while (list.remaining > 0) hello.pskModes.push(list.u8());
  return undefined;
}

function malformed(message: string): ClientHelloError {
  return helloError(ClientHelloErrorCode.MALFORMED_EXTENSION, message);
}

function duplicate(type: number): ClientHelloError {
  return helloError(ClientHelloErrorCode.DUPLICATE_EXTENSION, `extension ${type} appears twice`);
}
