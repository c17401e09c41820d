/**
 * Assertions shared by the parser tests: narrowing a ParseResult to the kind a case expects, and the
 * whole header that TCP over IPv4 without TLVs parses to in either version.
 */
import assert from "node:assert/strict";
import type { ProxyHeaderErrorCode } from "./errors.ts";
import type { InetEndpoint, ParseResult, ProxyHeader } from "./types.ts";

export type HeaderResult = Extract<ParseResult, { kind: "header" }>;

/** The failure message: the result, after `input` when the case names its input. */
function describe(r: ParseResult, input?: string): string {
  return input === undefined ? JSON.stringify(r) : `${input} -> ${JSON.stringify(r)}`;
}

/** Asserts that the parse gave a header, and returns it. */
export function expectHeader(r: ParseResult, input?: string): HeaderResult {
  assert.equal(r.kind, "header", describe(r, input));
  return r as HeaderResult;
}

/** Asserts that the parse gave an error, and returns its code. */
export function expectErrorCode(r: ParseResult, input?: string): ProxyHeaderErrorCode {
  assert.equal(r.kind, "error", describe(r, input));
  return (r as Extract<ParseResult, { kind: "error" }>).code;
}

/** A v1 TCP4 line, or a v2 PROXY header with fam 0x11 and no TLVs, parsed: every field of it. */
export function tcp4Header(version: 1 | 2, source: InetEndpoint, destination: InetEndpoint): ProxyHeader {
  return {
    version,
    command: "proxy",
    family: "ipv4",
    transport: "stream",
    source,
    destination,
    tlvs: [],
    crc32cChecked: false,
  };
}
