// One process log line as the admin API, the dashboard and the collectors see it: the JSON line pino
// wrote, with its level and time read once. Lines come from this process (a tee on its log output) and
// from the workers (over IPC), so the line is the unit: nothing here depends on pino's objects.

/** pino's level numbers, by the label our formatter writes ("level":"warn"). */
export const LEVEL_VALUES: Readonly<Record<string, number>> = Object.freeze({
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
});

export interface LogEntry {
  /** Milliseconds since the epoch. */
  readonly time: number;
  /** pino level number (30 info, 40 warn, ...). */
  readonly level: number;
  readonly levelName: string;
  readonly msg: string;
  /** The whole line as written, without its newline. */
  readonly line: string;
  /** The line's fields, parsed. */
  readonly record: Readonly<Record<string, unknown>>;
}

/** The level number of a name such as "warn"; undefined for an unknown name. */
export function levelValue(name: string): number | undefined {
  return LEVEL_VALUES[name.toLowerCase()];
}

/** Reads one JSON log line; undefined when it is not a JSON object (the caller counts it, if it cares). */
export function parseLogLine(text: string): LogEntry | undefined {
  const line = text.endsWith("\n") ? text.slice(0, -1) : text;
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof record !== "object" || record === null || Array.isArray(record)) return undefined;
  const r = record as Record<string, unknown>;
  const levelName = typeof r.level === "string" ? r.level : levelNameOf(Number(r.level));
  const level = levelValue(levelName) ?? (typeof r.level === "number" ? r.level : LEVEL_VALUES.info!);
  const parsedTime = typeof r.time === "string" ? Date.parse(r.time) : Number(r.time);
  return {
    time: Number.isFinite(parsedTime) ? parsedTime : Date.now(),
    level,
    levelName,
    msg: typeof r.msg === "string" ? r.msg : "",
    line,
    record: r,
  };
}

function levelNameOf(value: number): string {
  for (const [name, v] of Object.entries(LEVEL_VALUES)) if (v === value) return name;
  return "info";
}
