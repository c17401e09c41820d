// The ClientHello codec: parse what a TLS client offers (SNI, ALPN, versions) before choosing whether to
// pass the connection through or terminate it.

export { DEFAULT_MAX_HELLO_BYTES, parseClientHello } from "./parse.ts";
export type { ClientHello, ClientHelloResult, ParseClientHelloOptions } from "./types.ts";
export { ClientHelloErrorCode } from "./types.ts";
export { tlsVersionName } from "./version-name.ts";
