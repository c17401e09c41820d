// What the "weir" package exports: the types a filter module is written against.
//   import type { Filter, FilterFactory } from "weir";
// Runtime code is not exported: a filter module needs only these types and the objects its hooks get.

export type { Filter, FilterEnv, FilterFactory, FilterSection } from "./filters/types.ts";
export type { HttpError, HttpErrorCode } from "./http/errors.ts";
export type { HttpFilter, MaybePromise, Reply, ResponseHeaders, Verdict } from "./http/phases.ts";
export type {
  ConnectionState,
  DownstreamRequest,
  DownstreamResponse,
  RequestContext,
} from "./http/request-context.ts";
export type { ConnectionContext } from "./listener/connection.ts";
