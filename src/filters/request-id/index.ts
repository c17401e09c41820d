// `kind = "request_id"`: every request gets an id, passed upstream in `header` (x-request-id), logged in
// the access log (`request_id`), and sent back to the client. An id the client sent is kept when
// `use_incoming` trusts it ("always", or "trusted_proxies": only from the listener's trusted_proxies) and
// it is a sane token (1-128 visible ASCII characters); otherwise a random UUID (v4, id.ts) replaces it.
import type { RequestIdFilterConfig } from "../../config/schema/filters.ts";
import type { ResponseHeaders } from "../../http/phases.ts";
import type { RequestContext } from "../../http/request-context.ts";
import { getHeader, setHeader } from "../headers.ts";
import type { ProvisionedFilter } from "../types.ts";
import { newRequestId } from "./id.ts";

const SANE_ID = /^[\x21-\x7e]{1,128}$/;

export function requestIdFilter(config: RequestIdFilterConfig): ProvisionedFilter {
  const header = config.header;
  const trust = config.use_incoming;
  const filter: ProvisionedFilter = {
    name: "request_id",
    requestArrival(ctx: RequestContext) {
      if (ctx.requestId === undefined) {
        const incoming =
          trust === "always" || (trust === "trusted_proxies" && ctx.conn.trusted)
            ? getHeader(ctx.upstreamHeaders, header)
            : undefined;
        ctx.requestId = incoming !== undefined && SANE_ID.test(incoming) ? incoming : newRequestId();
      }
      setHeader(ctx.upstreamHeaders, header, ctx.requestId);
      return undefined;
    },
  };
  if (config.response) {
    filter.downstreamResponse = (ctx: RequestContext, _status: number, headers: ResponseHeaders) => {
      if (ctx.requestId !== undefined) headers[header] = ctx.requestId;
    };
  }
  return filter;
}
