// `kind = "body_limit"`: the largest request and response bodies. A request that declares a larger
// Content-Length gets 413 before anything is forwarded; a chunked one is counted as it streams and
// failed with 413 when it passes the limit. A response that declares a larger Content-Length is refused
// with 502; one that grows past the limit while streaming is cut (its head is already out).
import type { BodyLimitFilterConfig } from "../../config/schema/filters.ts";
import { HttpError } from "../../http/errors.ts";
import type { ResponseHeaders } from "../../http/phases.ts";
import type { RequestContext } from "../../http/request-context.ts";
import type { FilterEnv, ProvisionedFilter } from "../types.ts";

const kRequestBytes = Symbol("weir.bodyLimit.request");
const kResponseBytes = Symbol("weir.bodyLimit.response");
type Counted = RequestContext & { [kRequestBytes]?: number; [kResponseBytes]?: number };

const TOO_LARGE_BODY = "413 request body too large\n";

export function bodyLimitFilter(config: BodyLimitFilterConfig, env: FilterEnv): ProvisionedFilter {
  const filter: ProvisionedFilter = { name: "body_limit" };
  const maxIn = config.request;
  const maxOut = config.response;
  if (maxIn > 0) {
    filter.requestArrival = (ctx: RequestContext) => {
      if (ctx.contentLength <= maxIn) return undefined;
      ctx.error = new HttpError("BODY_TOO_LARGE");
      // The unread body would follow on this HTTP/1 connection: close it after the answer.
      if (!ctx.isH2) (ctx.res as { shouldKeepAlive?: boolean }).shouldKeepAlive = false;
      return {
        status: 413,
        headers: {
          "content-type": "text/plain; charset=utf-8",
          "content-length": String(TOO_LARGE_BODY.length),
        },
        body: TOO_LARGE_BODY,
      };
    };
    filter.requestBody = (ctx: RequestContext, chunk: Buffer) => {
      const c = ctx as Counted;
      const seen = (c[kRequestBytes] ?? 0) + chunk.length;
      c[kRequestBytes] = seen;
      if (seen > maxIn) {
        env.fail(ctx, new HttpError("BODY_TOO_LARGE"));
        return Buffer.alloc(0);
      }
      return chunk;
    };
  }
  if (maxOut > 0) {
    filter.upstreamResponse = (_ctx: RequestContext, _status: number, headers: ResponseHeaders) => {
      const declared = headers["content-length"];
      // Thrown here, undici aborts the exchange and the engine answers 502 (nothing was sent yet).
      if (typeof declared === "string" && Number(declared) > maxOut) throw new HttpError("BAD_RESPONSE");
    };
    filter.responseBody = (ctx: RequestContext, chunk: Buffer) => {
      const c = ctx as Counted;
      const seen = (c[kResponseBytes] ?? 0) + chunk.length;
      c[kResponseBytes] = seen;
      if (seen > maxOut) throw new HttpError("BAD_RESPONSE");
      return chunk;
    };
  }
  return filter;
}
