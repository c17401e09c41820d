/** Plain-text tables and number formats for benchmark output. */

export type Cell = string | number | null;

/** Formats a number with `digits` decimals; null or NaN prints as "n/a". */
export function fmt(value: number | null | undefined, digits = 2): string {
  return value === null || value === undefined || Number.isNaN(value) ? "n/a" : value.toFixed(digits);
}

/** A ratio a/b as "0.87x", or "n/a" when either side is missing. */
export function ratio(a: number | null, b: number | null): string {
  if (a === null || b === null || !(b > 0) || Number.isNaN(a)) return "n/a";
  return `${(a / b).toFixed(2)}x`;
}

/** Prints rows under headers; numbers are right-aligned, text left-aligned. */
export function printTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): void {
  const text = rows.map((r) => r.map((c) => (c === null ? "n/a" : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[], raw: readonly Cell[] | null) =>
    cells
      .map((c, i) =>
        raw !== null && typeof raw[i] === "number" ? c.padStart(widths[i]!) : c.padEnd(widths[i]!),
      )
      .join("  ")
      .trimEnd();
  console.log(line(headers, null));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  text.forEach((r, i) => {
    console.log(line(r, rows[i]!));
  });
}
