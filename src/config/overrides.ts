// Options that environment variables and flags may set, taken from the schema's metadata, and the
// coercion of their text into the type the schema expects.
import type { z } from "zod";
import { kindOf, options, typeLabel, unwrap } from "./introspect.ts";

export interface Overridable {
  path: string[];
  env?: string;
  flag?: string;
  description: string;
  type: string;
  defaultValue?: unknown;
  example?: unknown;
}

export function overridables(schema: z.ZodType): Overridable[] {
  const out: Overridable[] = [];
  for (const o of options(schema)) {
    const m = o.unwrapped.meta;
    if (!m.env && !m.flag) continue;
    out.push({
      path: o.path,
      env: m.env,
      flag: m.flag,
      description: m.description ?? "",
      type: typeLabel(o.unwrapped),
      defaultValue: o.unwrapped.defaultValue,
      example: m.example,
    });
  }
  return out;
}

/** Text from the environment or the command line, as the value the schema expects. Invalid text is
 * passed through unchanged so that validation reports it with the rest. */
export function coerce(text: string, schema: z.ZodType): unknown {
  const u = unwrap(schema);
  if (kindOf(u.core) !== "leaf") return text;
  const type = typeLabel(u);
  if (type === "integer" || type === "number" || type.split(" or ").includes("integer"))
    return text.trim() !== "" && !Number.isNaN(Number(text)) ? Number(text) : text;
  if (type === "boolean") {
    if (/^(true|1|yes|on)$/i.test(text)) return true;
    if (/^(false|0|no|off)$/i.test(text)) return false;
    return text;
  }
  if (type.startsWith("list of")) return text === "" ? [] : text.split(",").map((s) => s.trim());
  return text;
}

/** Set `value` at `path` in a plain object, creating tables on the way. */
export function setPath(root: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = root;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}
