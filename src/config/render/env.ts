// `weir config env` and the flag list of `--help`, from the schema's env/flag metadata.
import type { z } from "zod";
import { overridables } from "../overrides.ts";
import { tomlValue } from "./toml-value.ts";

export function renderEnv(schema: z.ZodType): string {
  const lines = ["WEIR_CONFIG  (path)  Config file to load; the same as --config."];
  for (const o of overridables(schema)) {
    if (!o.env) continue;
    lines.push(
      `${o.env}  sets ${o.path.join(".")} (${o.type}${defaultText(o.defaultValue)})  ${o.description}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

export function renderFlags(schema: z.ZodType): string[] {
  return overridables(schema)
    .filter((o) => o.flag)
    .map(
      (o) =>
        `  --${o.flag} <${o.type}>`.padEnd(34) +
        `${o.description} (${o.path.join(".")}${o.env ? `, ${o.env}` : ""}${defaultText(o.defaultValue)})`,
    );
}

function defaultText(value: unknown): string {
  return value === undefined ? "" : `; default ${tomlValue(value)}`;
}
