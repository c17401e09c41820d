// `kind = "set_headers"`: request and response fields set to fixed values or templates (template.ts),
// replacing what was there. Request fields are set at request arrival (later filters see them), response
// fields before the client gets the head.
import type { SetHeadersFilterConfig } from "../../config/schema/filters.ts";
import type { ResponseHeaders } from "../../http/phases.ts";
import type { RequestContext } from "../../http/request-context.ts";
import { setHeader } from "../headers.ts";
import type { ProvisionedFilter } from "../types.ts";
import { compileTemplate, type Template } from "./template.ts";

export class TemplateError extends Error {
  override readonly name = "TemplateError";
}

function compileAll(values: Readonly<Record<string, string>>): [string, Template][] {
  return Object.entries(values).map(([name, text]) => {
    const t = compileTemplate(text);
    if (typeof t === "string") throw new TemplateError(`${name}: ${t}`);
    return [name, t];
  });
}

export function setHeadersFilter(config: SetHeadersFilterConfig): ProvisionedFilter {
  const request = compileAll(config.request);
  const response = compileAll(config.response);
  const filter: ProvisionedFilter = { name: "set_headers" };
  if (request.length > 0) {
    filter.requestArrival = (ctx: RequestContext) => {
      for (const [name, value] of request) setHeader(ctx.upstreamHeaders, name, value(ctx));
      return undefined;
    };
  }
  if (response.length > 0) {
    filter.downstreamResponse = (ctx: RequestContext, _status: number, headers: ResponseHeaders) => {
      for (const [name, value] of response) headers[name] = value(ctx);
    };
  }
  return filter;
}
