// `weir config show`: the effective config, durations and sizes written back the way a user writes them.
import { stringify } from "smol-toml";
import type { z } from "zod";
import { kindOf, schemaAt, unwrap } from "../introspect.ts";
import { formatDuration, formatSize } from "../units.ts";

export function renderEffective(schema: z.ZodType, config: unknown): string {
  return `${stringify(toInput(config, schema) as Record<string, unknown>)}\n`;
}

function toInput(value: unknown, schema: z.ZodType | undefined): unknown {
  if (!schema) return value;
  const u = unwrap(schema);
  if (typeof value === "number" && u.meta.unit === "duration") return formatDuration(value);
  if (typeof value === "number" && u.meta.unit === "size") return formatSize(value);
  if (Array.isArray(value)) return value.map((v) => toInput(v, schemaAt(u.core, [0])));
  if (value && typeof value === "object" && kindOf(u.core) !== "leaf") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toInput(v, schemaAt(u.core, [k]));
    return out;
  }
  return value;
}
