// `kind = "remove_headers"`: request and response header fields removed by name, as globs ("x-internal-*")
// or regular expressions ("^x-debug-"), case-insensitive. Each direction's patterns are compiled once
// into one regular expression. Request fields go at request arrival, so later filters (auth_request, a
// module) and the upstream never see them; response fields go before the client gets the head.
import type { RemoveHeadersFilterConfig } from "../../config/schema/filters.ts";
import type { ResponseHeaders } from "../../http/phases.ts";
import type { RequestContext } from "../../http/request-context.ts";
import { removeMatching } from "../headers.ts";
import type { ProvisionedFilter } from "../types.ts";

/** "x-internal-*" → ^x\-internal\-.*$ ; "?" is one character. */
export function globSource(glob: string): string {
  let out = "^";
  for (const c of glob) {
    if (c === "*") out += ".*";
    else if (c === "?") out += ".";
    else out += c.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
  }
  return `${out}$`;
}

/** One case-insensitive expression for all the patterns, or undefined when there are none. */
export function namePattern(globs: readonly string[], regexes: readonly string[]): RegExp | undefined {
  const sources = [...globs.map(globSource), ...regexes.map((r) => `(?:${r})`)];
  return sources.length === 0 ? undefined : new RegExp(sources.join("|"), "i");
}

export function removeHeadersFilter(config: RemoveHeadersFilterConfig): ProvisionedFilter {
  const request = namePattern(config.request_glob, config.request_regex);
  const response = namePattern(config.response_glob, config.response_regex);
  const filter: ProvisionedFilter = { name: "remove_headers" };
  if (request !== undefined) {
    filter.requestArrival = (ctx: RequestContext) => {
      removeMatching(ctx.upstreamHeaders, request);
      return undefined;
    };
  }
  if (response !== undefined) {
    filter.downstreamResponse = (_ctx: RequestContext, _status: number, headers: ResponseHeaders) => {
      for (const name in headers) if (response.test(name)) delete headers[name];
    };
  }
  return filter;
}
