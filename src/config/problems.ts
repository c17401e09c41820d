/** One thing wrong with a config, with the place it came from. */
export interface ConfigProblem {
  /** The config file, or "environment" / "command line" for values that came from there. */
  source: string;
  line?: number;
  col?: number;
  /** Dotted key, e.g. "listeners.web.address". */
  key: string;
  message: string;
}

/** `FILE:LINE:COL: key: message`, the shape editors and CI logs understand. */
export function formatProblem(p: ConfigProblem): string {
  const where = p.line === undefined ? p.source : `${p.source}:${p.line}:${p.col ?? 1}`;
  return p.key ? `${where}: ${p.key}: ${p.message}` : `${where}: ${p.message}`;
}

export function dottedKey(path: readonly PropertyKey[]): string {
  let out = "";
  for (const k of path) out += typeof k === "number" ? `[${k}]` : out ? `.${String(k)}` : String(k);
  return out;
}
