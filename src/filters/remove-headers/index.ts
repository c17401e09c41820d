// `kind = "remove_headers"`: request and response header fields removed by name, as globs ("x-internal-*")
// or regular expressions ("^x-debug-"), case-insensitive. Each direction's patterns are compiled once
// (pattern.ts). Request fields go at request arrival, so later filters (auth_request, a module) and the
// upstream never see them; response fields go before the client gets the head.
import type { RemoveHeadersFilterConfig } from "../../config/schema/filters.ts";
import type { ResponseHeaders } from "../../http/phases.ts";
import type { RequestContext } from "../../http/request-context.ts";
import { removeMatching } from "../headers.ts";
import type { ProvisionedFilter } from "../types.ts";
import { compileNameMatcher } from "./pattern.ts";

export function removeHeadersFilter(config: RemoveHeadersFilterConfig): ProvisionedFilter {
  const request = compileNameMatcher(config.request_glob, config.request_regex);
  const response = compileNameMatcher(config.response_glob, config.response_regex);
  const filter: ProvisionedFilter = { name: "remove_headers" };
  if (request !== undefined) {
    filter.requestArrival = (ctx: RequestContext) => {
      removeMatching(ctx.upstreamHeaders, request);
      return undefined;
    };
  }
  if (response !== undefined) {
    filter.downstreamResponse = (_ctx: RequestContext, _status: number, headers: ResponseHeaders) => {
      for (const name in headers) if (response(name)) delete headers[name];
    };
  }
  return filter;
}
