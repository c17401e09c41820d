// The `expect` status range of HTTP health checks ("200" or "200-399"). Apart from the schema so that
// workers, which only read validated config, never load zod and the schema (10 MiB of heap, which
// every full GC walks).

export const STATUS_RANGE = /^([1-5]\d\d)(-([1-5]\d\d))?$/;

/** "200-399" → [200, 399]. The schema has checked the shape. */
export function statusRange(text: string): readonly [number, number] {
  const m = STATUS_RANGE.exec(text) as RegExpExecArray;
  const low = Number(m[1]);
  return [low, m[3] === undefined ? low : Number(m[3])];
}
