// Edits of the request headers the upstream will get (`ctx.upstreamHeaders`: flat [name, value, ...],
// names as the client spelled them). Names compared case-insensitively (RFC 9110 §5.1). These run for
// every request a header filter sees: a list that needs no change is only read, never rewritten.

/** Whether `name` is `lowerName` in any case; `lowerName` must be lower case. */
function isName(name: string, lowerName: string): boolean {
  return name.length === lowerName.length && (name === lowerName || name.toLowerCase() === lowerName);
}

/** The first value of `lowerName`, or undefined. */
export function getHeader(list: readonly string[], lowerName: string): string | undefined {
  for (let i = 0; i < list.length; i += 2) if (isName(list[i]!, lowerName)) return list[i + 1];
  return undefined;
}

/** Removes, in place, the fields from index `first` (a field to remove) on that `drop` says to remove. */
function compactFrom(list: string[], first: number, drop: (name: string) => boolean): void {
  let out = first;
  for (let i = first + 2; i < list.length; i += 2) {
    const name = list[i]!;
    if (drop(name)) continue;
    list[out] = name;
    list[out + 1] = list[i + 1]!;
    out += 2;
  }
  list.length = out;
}

/** Removes every field named `lowerName`, in place. */
export function removeHeader(list: string[], lowerName: string): void {
  for (let i = 0; i < list.length; i += 2) {
    if (isName(list[i]!, lowerName)) {
      compactFrom(list, i, (name) => isName(name, lowerName));
      return;
    }
  }
}

/** Replaces every field named `lowerName` with one field of `value`. */
export function setHeader(list: string[], lowerName: string, value: string): void {
  removeHeader(list, lowerName);
  list.push(lowerName, value);
}

/** Removes, in place, every field whose name `drop` matches (names as the client spelled them). */
export function removeMatching(list: string[], drop: (name: string) => boolean): void {
  for (let i = 0; i < list.length; i += 2) {
    if (drop(list[i]!)) {
      compactFrom(list, i, drop);
      return;
    }
  }
}
