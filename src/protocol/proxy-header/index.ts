/** The PROXY protocol header codec: see parse.ts for the parser's contract. */
export { buildProxyHeaderV1, type ProxyHeaderV1Input } from "./build-v1.ts";
export {
  type BuildV2Options,
  buildProxyHeaderV2,
  type ProxyHeaderV2Input,
  type SslInput,
} from "./build-v2.ts";
export { crc32c } from "./crc32c.ts";
export { ProxyHeaderBuildError, ProxyHeaderErrorCode } from "./errors.ts";
export { parseProxyHeader } from "./parse.ts";
export { parseProxyHeaderV1 } from "./parse-v1.ts";
export { parseProxyHeaderV2 } from "./parse-v2.ts";
export type {
  InetEndpoint,
  ParseOptions,
  ParseResult,
  ProxyHeader,
  SslInfo,
  Tlv,
  UnixEndpoint,
} from "./types.ts";
export { PP2_CLIENT, PP2_SUBTYPE_SSL, PP2_TYPE } from "./types.ts";
