// file < environment < flags, then one validation that reports every problem with its place.
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parse as parseToml, TomlError } from "smol-toml";
import type { z } from "zod";
import { checkFilterModules } from "../filters/check.ts";
import { didYouMean } from "./did-you-mean.ts";
import { kindOf, schemaAt, shapeOf, unwrap } from "./introspect.ts";
import { type KeyPositions, locateKeys, type PathKey } from "./locate.ts";
import { coerce, overridables, setPath } from "./overrides.ts";
import { type ConfigProblem, dottedKey } from "./problems.ts";
import { checkReferences } from "./references.ts";
import { type Config, configSchema } from "./schema/index.ts";

export interface ConfigInput {
  /** Path of the TOML file; relative paths inside it resolve against its folder. */
  file?: string;
  /** TOML text to use instead of reading `file` (the embedded quickstart, tests). */
  text?: string;
  env?: Readonly<Record<string, string | undefined>>;
  /** Flag values by flag name without dashes, as parsed from the command line. */
  flags?: Readonly<Record<string, string | undefined>>;
}

export type LoadResult =
  | { ok: true; config: Config; file?: string; baseDir: string }
  | { ok: false; problems: ConfigProblem[] };

export function loadConfig(input: ConfigInput): LoadResult {
  const source = input.file ?? "(built-in)";
  const baseDir = input.file ? dirname(resolve(input.file)) : process.cwd();
  let text = input.text;
  if (text === undefined && input.file !== undefined) {
    try {
      text = readFileSync(input.file, "utf8");
    } catch (err) {
      return {
        ok: false,
        problems: [{ source, key: "", message: `cannot read: ${(err as Error).message}` }],
      };
    }
  }
  text ??= "";

  let raw: Record<string, unknown>;
  try {
    raw = parseToml(text) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof TomlError) {
      const message = err.message.split("\n")[0].replace(/^Invalid TOML document: /, "");
      return { ok: false, problems: [{ source, line: err.line, col: err.column, key: "", message }] };
    }
    throw err;
  }

  // Where each overridden value came from, for error messages.
  const origins = new Map<string, string>();
  for (const o of overridables(configSchema)) {
    const fromFlag = o.flag ? input.flags?.[o.flag] : undefined;
    const fromEnv = o.env ? input.env?.[o.env] : undefined;
    const value = fromFlag ?? fromEnv;
    if (value === undefined) continue;
    setPath(raw, o.path, coerce(value, schemaAt(configSchema, o.path) as z.ZodType));
    origins.set(
      JSON.stringify(o.path),
      fromFlag !== undefined ? `command line --${o.flag}` : `environment ${o.env}`,
    );
  }

  const result = configSchema.safeParse(raw);
  const references = checkReferences(raw);
  if (!result.success || references.length > 0) {
    const positions = locateKeys(text);
    const problems = [
      ...(result.error?.issues.flatMap((i) => toProblems(i, source, positions, origins)) ?? []),
      ...references.map((r) => ({
        source,
        ...positions.find(r.path),
        key: dottedKey(r.path),
        message: r.message,
      })),
    ];
    return {
      ok: false,
      problems: problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0)),
    };
  }
  const config = resolvePaths(result.data, baseDir);
  // Filter modules: paths made absolute, each loaded and its factory run once (src/filters/check.ts).
  const filterProblems = checkFilterModules(config, baseDir);
  if (filterProblems.length > 0) {
    const positions = locateKeys(text);
    return {
      ok: false,
      problems: filterProblems.map((p) => ({
        source,
        ...positions.find(p.path),
        key: dottedKey(p.path),
        message: p.message,
      })),
    };
  }
  return { ok: true, config: deepFreeze(config), file: input.file, baseDir };
}

function toProblems(
  issue: z.core.$ZodIssue,
  source: string,
  positions: KeyPositions,
  origins: Map<string, string>,
): ConfigProblem[] {
  const path = issue.path as PathKey[];
  if (issue.code === "unrecognized_keys") {
    const known = Object.keys(shapeOf(unwrap(schemaAt(configSchema, path) ?? configSchema).core));
    return issue.keys.map((key) => {
      const best = didYouMean(key, known);
      const full = [...path, key];
      return {
        source,
        ...positions.find(full),
        key: dottedKey(full),
        message: `unknown key "${key}"${best ? ` (did you mean "${best}"?)` : ""}`,
      };
    });
  }
  const origin = origins.get(JSON.stringify(path));
  if (origin) return [{ source: origin, key: dottedKey(path), message: issue.message }];
  return [{ source, ...positions.find(path), key: dottedKey(path), message: issue.message }];
}

/** Resolve every option marked as a path (and unix: listener addresses) against the config's folder. */
function resolvePaths(config: Config, baseDir: string): Config {
  const fix = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const walk = (value: unknown, schema: z.ZodType | undefined): unknown => {
    if (!schema || value === undefined || value === null) return value;
    const u = unwrap(schema);
    if (typeof value === "string") {
      if (!u.meta.path || value === "stdout" || value === "stderr") return value;
      return fix(value);
    }
    const kind = kindOf(u.core);
    if (Array.isArray(value)) return value.map((v) => walk(v, schemaAt(u.core, [0])));
    if (typeof value === "object" && (kind === "object" || kind === "record")) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = walk(v, schemaAt(u.core, [k]));
      return out;
    }
    return value;
  };
  const resolved = walk(config, configSchema) as Config;
  for (const l of Object.values(resolved.listeners)) {
    if (l.address.startsWith("unix:")) l.address = `unix:${fix(l.address.slice(5))}`;
  }
  return resolved;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
