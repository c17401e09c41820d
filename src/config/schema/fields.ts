// Field builders shared by the schema sections. Each records, in zod's registry, what the generic tools
// (config defaults/env/show, path resolution) need to know: its unit, whether it is a path, its env/flag.
import { z } from "zod";
import { DURATION_PATTERN, parseDuration, parseSize, SIZE_PATTERN } from "../units.ts";

/** What an option's metadata may carry beyond its description. */
export interface OptionMeta {
  description?: string;
  /** Environment variable that sets this option, e.g. WEIR_LOG_LEVEL. */
  env?: string;
  /** Command-line flag (without dashes) that sets this option, e.g. log-level. */
  flag?: string;
  /** How the value is written in the file: durations and sizes are strings, held as numbers. */
  unit?: "duration" | "size";
  /** A file system path, resolved against the config file's folder. */
  path?: boolean;
  /** An example shown by `weir config defaults` for options without a default. */
  example?: unknown;
}

export function meta<T extends z.ZodType>(schema: T, m: OptionMeta): T {
  return schema.meta(m as Record<string, unknown>) as T;
}

/** A duration such as "30s", held as milliseconds. */
export function duration(doc: string, dflt: string, extra: OptionMeta = {}) {
  const base = z
    .string()
    .regex(new RegExp(DURATION_PATTERN), 'expected a duration such as "250ms", "30s", "5m" or "1h"')
    .transform((s) => parseDuration(s) as number);
  return meta(base.prefault(dflt), { ...extra, description: doc, unit: "duration" });
}

/** A size such as "64KiB", held as bytes. */
export function size(doc: string, dflt: string, extra: OptionMeta = {}) {
  const base = z
    .string()
    .regex(new RegExp(SIZE_PATTERN), 'expected a size such as "512", "64KiB" or "10MiB"')
    .transform((s) => parseSize(s) as number);
  return meta(base.prefault(dflt), { ...extra, description: doc, unit: "size" });
}

/** A file system path, relative to the config file's folder unless absolute. */
export function path(doc: string, extra: OptionMeta = {}) {
  return meta(z.string().min(1), { ...extra, description: doc, path: true });
}

/** Attach a description (and env/flag) as the outermost layer, where the tools look for it. */
export function doc<T extends z.ZodType>(schema: T, description: string, extra: OptionMeta = {}): T {
  return meta(schema, { ...extra, description });
}

/** "host:port" of a TCP peer: IPv4, [IPv6] or a DNS name. */
export const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

export function hostPort(description: string) {
  return meta(
    z
      .string()
      .regex(HOST_PORT, 'expected "host:port", e.g. "127.0.0.1:8080" or "[::1]:8080"')
      .refine((s) => Number(s.slice(s.lastIndexOf(":") + 1)) <= 65535, "port must be 0 to 65535"),
    { description },
  );
}
