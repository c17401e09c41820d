// Reads the zod schema as data, so that help, docs, env/flag handling and `config show` are generated
// from it instead of written twice. Relies on zod 4's public `_zod.def` and its global registry.
import { z } from "zod";
import type { OptionMeta } from "./schema/fields.ts";

type Def = {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
  entries?: Record<string, string>;
  defaultValue?: unknown;
  format?: string;
  options?: z.ZodType[];
  values?: unknown[];
};

export interface Unwrapped {
  /** The schema under optional/default/pipe wrappers. */
  core: z.ZodType;
  /** Metadata of every layer, the outermost winning. */
  meta: OptionMeta;
  /** The default as written in the file (durations as strings), if any. */
  defaultValue?: unknown;
  optional: boolean;
}

const def = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;

export function unwrap(schema: z.ZodType): Unwrapped {
  let s = schema;
  let meta: OptionMeta = {};
  let defaultValue: unknown;
  let optional = false;
  for (;;) {
    meta = { ...((z.globalRegistry.get(s) as OptionMeta | undefined) ?? {}), ...meta };
    const d = def(s);
    if (d.type === "default" || d.type === "prefault") {
      if (defaultValue === undefined) defaultValue = d.defaultValue;
      s = d.innerType as z.ZodType;
    } else if (d.type === "optional" || d.type === "nullable") {
      optional = true;
      s = d.innerType as z.ZodType;
    } else if (d.type === "pipe") {
      s = d.in as z.ZodType;
    } else return { core: s, meta, defaultValue, optional };
  }
}

export type Kind = "object" | "record" | "array-of-objects" | "leaf";

export function kindOf(core: z.ZodType): Kind {
  const d = def(core);
  if (d.type === "object") return "object";
  if (d.type === "record") return "record";
  if (d.type === "array" && def(unwrap(d.element as z.ZodType).core).type === "object")
    return "array-of-objects";
  return "leaf";
}

export function shapeOf(core: z.ZodType): Record<string, z.ZodType> {
  return def(core).shape ?? {};
}

/** The schema of a record's values or an array's elements. */
export function childOf(core: z.ZodType): z.ZodType {
  const d = def(core);
  return (d.valueType ?? d.element) as z.ZodType;
}

/** A short human label of a leaf's type: "string", "integer", "boolean", "duration", "one of a|b", ... */
export function typeLabel(u: Unwrapped): string {
  if (u.meta.unit) return u.meta.unit;
  const d = def(u.core);
  switch (d.type) {
    case "enum":
      return `one of ${Object.values(d.entries ?? {}).join(" | ")}`;
    case "number":
      return d.format === "safeint" || d.format === "int32" ? "integer" : "number";
    case "array":
      return `list of ${typeLabel(unwrap(d.element as z.ZodType))}`;
    case "record":
      return "table";
    case "union":
      return (d.options ?? []).map((o) => typeLabel(unwrap(o))).join(" or ");
    case "literal":
      return (d.values ?? []).map((v) => JSON.stringify(v)).join(" or ");
    default:
      return d.type;
  }
}

export interface OptionEntry {
  /** Path with "<name>" for record keys and "[]" for array elements. */
  path: string[];
  unwrapped: Unwrapped;
  kind: Kind;
}

/** Every node of the schema, depth first, in declaration order. */
export function* options(schema: z.ZodType, path: string[] = []): Generator<OptionEntry> {
  const u = unwrap(schema);
  const kind = kindOf(u.core);
  yield { path, unwrapped: u, kind };
  if (kind === "object") {
    for (const [key, child] of Object.entries(shapeOf(u.core))) yield* options(child, [...path, key]);
  } else if (kind === "record") {
    yield* children(childOf(u.core), [...path, "<name>"]);
  } else if (kind === "array-of-objects") {
    yield* children(childOf(u.core), [...path, "[]"]);
  }
}

function* children(schema: z.ZodType, path: string[]): Generator<OptionEntry> {
  const u = unwrap(schema);
  if (kindOf(u.core) === "object") {
    for (const [key, child] of Object.entries(shapeOf(u.core))) yield* options(child, [...path, key]);
  }
}

/** The schema that governs a concrete path such as ["listeners", "web", "address"], if any. */
export function schemaAt(schema: z.ZodType, path: readonly (string | number)[]): z.ZodType | undefined {
  let s: z.ZodType | undefined = schema;
  for (const key of path) {
    if (!s) return undefined;
    const core: z.ZodType = unwrap(s).core;
    const kind = kindOf(core);
    if (kind === "object") s = shapeOf(core)[String(key)];
    else if (kind === "record" || kind === "array-of-objects" || def(core).type === "array")
      s = childOf(core);
    else return undefined;
  }
  return s;
}
