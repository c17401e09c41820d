// Edits of the request headers the upstream will get (`ctx.upstreamHeaders`: flat [name, value, ...],
// names as the client spelled them). Names compared case-insensitively (RFC 9110 §5.1).

/** The first value of `lowerName`, or undefined. */
export function getHeader(list: readonly string[], lowerName: string): string | undefined {
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i]!;
    if (name.length === lowerName.length && name.toLowerCase() === lowerName) return list[i + 1];
  }
  return undefined;
}

/** Removes every field named `lowerName`, in place. */
export function removeHeader(list: string[], lowerName: string): void {
  let out = 0;
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i]!;
    if (name.length === lowerName.length && name.toLowerCase() === lowerName) continue;
    if (out !== i) {
      list[out] = name;
      list[out + 1] = list[i + 1]!;
    }
    out += 2;
  }
  list.length = out;
}

/** Replaces every field named `lowerName` with one field of `value`. */
export function setHeader(list: string[], lowerName: string, value: string): void {
  removeHeader(list, lowerName);
  list.push(lowerName, value);
}

/** Removes, in place, every field whose lower-case name `drop` matches. */
export function removeMatching(list: string[], drop: RegExp): void {
  let out = 0;
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i]!;
    if (drop.test(name)) continue;
    if (out !== i) {
      list[out] = name;
      list[out + 1] = list[i + 1]!;
    }
    out += 2;
  }
  list.length = out;
}
