// Durations ("250ms", "30s", "5m", "1h", "2d") and sizes ("512", "64KiB", "1MiB", "10MB") as they are
// written in the config file, and back. Parsed once at load time into milliseconds and bytes.

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const DURATION_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

const SIZE = /^(\d+)\s*(B|KiB|MiB|GiB|KB|MB|GB)?$/;
const SIZE_BYTES = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, KB: 1e3, MB: 1e6, GB: 1e9 } as const;

export const DURATION_PATTERN = DURATION.source;
export const SIZE_PATTERN = SIZE.source;

/** Milliseconds, or undefined when `text` is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * DURATION_MS[m[2] as keyof typeof DURATION_MS]);
}

/** The shortest exact spelling of `ms`, so that `config show` prints what a user would write. */
export function formatDuration(ms: number): string {
  for (const unit of ["d", "h", "m", "s"] as const) {
    const per = DURATION_MS[unit];
    if (ms >= per && ms % per === 0) return `${ms / per}${unit}`;
  }
  return `${ms}ms`;
}

/** Bytes, or undefined when `text` is not a size. */
export function parseSize(text: string): number | undefined {
  const m = SIZE.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * SIZE_BYTES[(m[2] ?? "B") as keyof typeof SIZE_BYTES];
}

export function formatSize(bytes: number): string {
  for (const unit of ["GiB", "MiB", "KiB"] as const) {
    const per = SIZE_BYTES[unit];
    if (bytes >= per && bytes % per === 0) return `${bytes / per}${unit}`;
  }
  return `${bytes}`;
}
