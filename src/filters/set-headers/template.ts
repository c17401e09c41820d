// Header values with variables, compiled once: "${client_addr}", "${request_id}", "${host}" (the Host
// as received), "${method}", "${path}" (with its query). A value without variables is a constant.
import type { RequestContext } from "../../http/request-context.ts";
import { newRequestId } from "../request-id/id.ts";

export type Template = (ctx: RequestContext) => string;

const VARIABLES: Record<string, Template> = {
  client_addr: (ctx) => ctx.client,
  request_id: (ctx) => requestIdOf(ctx),
  host: (ctx) => ctx.authority,
  method: (ctx) => ctx.method,
  path: (ctx) => ctx.path,
};

export const TEMPLATE_VARIABLES = Object.keys(VARIABLES);

/** The request's id, generated now if no request_id filter gave it one yet. */
export function requestIdOf(ctx: RequestContext): string {
  ctx.requestId ??= newRequestId();
  return ctx.requestId;
}

/** The template, or a message naming the unknown variable. */
export function compileTemplate(text: string): Template | string {
  const parts: (string | Template)[] = [];
  const re = /\$\{([a-z_]+)\}/g;
  let last = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const variable = VARIABLES[m[1]!];
    if (variable === undefined)
      return `unknown variable \${${m[1]}} (known: ${TEMPLATE_VARIABLES.join(", ")})`;
    if (m.index > last) parts.push(text.slice(last, m.index));
    parts.push(variable);
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  if (parts.length === 0) return () => "";
  if (parts.length === 1) {
    const only = parts[0]!;
    return typeof only === "string" ? () => only : only;
  }
  return (ctx) => {
    let out = "";
    for (const p of parts) out += typeof p === "string" ? p : p(ctx);
    return out;
  };
}
