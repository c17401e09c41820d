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

/** Names and their templates, as two arrays walked by index (no entry pairs, no iterator per request). */
interface CompiledFields {
  readonly names: readonly string[];
  readonly values: readonly Template[];
}

function compileAll(fields: Readonly<Record<string, string>>): CompiledFields {
  const names: string[] = [];
  const values: Template[] = [];
  for (const [name, text] of Object.entries(fields)) {
    const t = compileTemplate(text);
    if (typeof t === "string") throw new TemplateError(`${name}: ${t}`);
    names.push(name);
    values.push(t);
  }
  return { names, values };
}

export function setHeadersFilter(config: SetHeadersFilterConfig): ProvisionedFilter {
  const request = compileAll(config.request);
  const response = compileAll(config.response);
  const filter: ProvisionedFilter = { name: "set_headers" };
  if (request.names.length > 0) {
    const { names, values } = request;
    filter.requestArrival = (ctx: RequestContext) => {
      const list = ctx.upstreamHeaders;
      for (let i = 0; i < names.length; i++) setHeader(list, names[i]!, values[i]!(ctx));
      return undefined;
    };
  }
  if (response.names.length > 0) {
    const { names, values } = response;
    filter.downstreamResponse = (ctx: RequestContext, _status: number, headers: ResponseHeaders) => {
      for (let i = 0; i < names.length; i++) headers[names[i]!] = values[i]!(ctx);
    };
  }
  return filter;
}
