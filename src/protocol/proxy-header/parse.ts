/**
 * PROXY protocol header parser, v1 and v2 (HAProxy's proxy-protocol.txt). A wire codec: no sockets,
 * no config, no logging.
 *
 * Contract of parseProxyHeader(buf, { allow }):
 * - buf holds the first bytes received on the connection, from byte 0; call again with more bytes
 *   appended while the result is "incomplete".
 * - "incomplete": every byte so far can still start a valid header of an allowed version, and the size
 *   limit (v1: 107 bytes with CRLF; v2: 16 + its length field) has not been reached.
 * - "header": a complete, valid header; `length` bytes were consumed, and buf[length..] is client data
 *   that the caller must keep. Buffers inside the header are views into buf, not copies.
 * - "error": a stable `code` (ProxyHeaderErrorCode, usable as a metric label) and a human message.
 * - Never throws, whatever the input; never reads a byte past the header's end.
 */
import { ProxyHeaderErrorCode } from "./errors.ts";
import { parseProxyHeaderV1 } from "./parse-v1.ts";
import { parseProxyHeaderV2 } from "./parse-v2.ts";
import type { ParseError, ParseOptions, ParseResult } from "./types.ts";
import { V1_SIGNATURE, V2_SIGNATURE } from "./types.ts";

const INCOMPLETE: ParseResult = Object.freeze({ kind: "incomplete" });

/**
 * The start of a version the caller did not allow: VERSION_NOT_ALLOWED while the bytes match that
 * version's signature, BAD_SIGNATURE once they diverge from it.
 */
function refuse(buf: Buffer, signature: Buffer, version: string): ParseError {
  const n = Math.min(buf.length, signature.length);
  for (let i = 0; i < n; i++) {
    if (buf[i] !== signature[i]) {
      return { kind: "error", code: ProxyHeaderErrorCode.BAD_SIGNATURE, message: "not a PROXY header" };
    }
  }
  return {
    kind: "error",
    code: ProxyHeaderErrorCode.VERSION_NOT_ALLOWED,
    message: `PROXY ${version} header where it is not allowed`,
  };
}

export function parseProxyHeader(buf: Buffer, opts?: ParseOptions): ParseResult {
  if (buf.length === 0) return INCOMPLETE;
  const allow = opts?.allow ?? "any";
  const first = buf[0];
  if (first === V1_SIGNATURE[0]) {
    return allow === "v2" ? refuse(buf, V1_SIGNATURE, "v1") : parseProxyHeaderV1(buf);
  }
  if (first === V2_SIGNATURE[0]) {
    return allow === "v1" ? refuse(buf, V2_SIGNATURE, "v2") : parseProxyHeaderV2(buf);
  }
  return { kind: "error", code: ProxyHeaderErrorCode.BAD_SIGNATURE, message: "not a PROXY header" };
}
