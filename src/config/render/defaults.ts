// `weir config defaults`: every option with its doc and default, as a TOML file that `weir check`
// accepts. Options without a default, and the named tables and arrays users add, are shown commented.
import type { z } from "zod";
import { childOf, kindOf, shapeOf, typeLabel, type Unwrapped, unwrap } from "../introspect.ts";
import { tomlValue } from "./toml-value.ts";

export function renderDefaults(schema: z.ZodType): string {
  const out = ["# weir: every option, its default and what it does. Generated from the schema."];
  renderTable(unwrap(schema), [], false, false, out);
  return `${out.join("\n")}\n`;
}

/** Leaves first (they belong to this table's header), then each sub-table under its own header. */
function renderTable(
  u: Unwrapped,
  path: string[],
  isArrayElement: boolean,
  commented: boolean,
  out: string[],
): void {
  const hash = commented ? "# " : "";
  if (path.length > 0) {
    out.push(
      "",
      ...comment(u.meta.description),
      `${hash}${isArrayElement ? `[[${path.join(".")}]]` : `[${path.join(".")}]`}`,
    );
  }
  const nested: [string, Unwrapped][] = [];
  for (const [key, child] of Object.entries(shapeOf(u.core))) {
    const cu = unwrap(child);
    if (kindOf(cu.core) !== "leaf") {
      nested.push([key, cu]);
      continue;
    }
    const value = cu.defaultValue ?? cu.meta.example;
    const env = `${cu.meta.env ? `; env ${cu.meta.env}` : ""}${cu.meta.flag ? `; flag --${cu.meta.flag}` : ""}`;
    out.push(`# ${cu.meta.description ?? ""} (${typeLabel(cu)}${env})`);
    const line = `${key} = ${value === undefined ? `<${typeLabel(cu)}>` : tomlValue(value)}`;
    out.push(`${commented || cu.defaultValue === undefined || path.length === 0 ? "# " : ""}${line}`);
  }
  for (const [key, cu] of nested) {
    const kind = kindOf(cu.core);
    if (kind === "object") renderTable(cu, [...path, key], false, commented || cu.optional, out);
    else if (kind === "record")
      renderTable({ ...unwrap(childOf(cu.core)), meta: cu.meta }, [...path, key, "NAME"], false, true, out);
    else renderTable({ ...unwrap(childOf(cu.core)), meta: cu.meta }, [...path, key], true, true, out);
  }
}

function comment(text: string | undefined): string[] {
  return text ? [`# ${text}`] : [];
}
