// remove_headers' field name patterns: globs ("x-internal-*") and regular expressions ("^x-debug-"),
// case-insensitive, compiled once into one regular expression per direction. Most patterns start with
// a literal prefix; when every one does, a name that starts with none of them is answered by a plain
// character comparison, and only the rest reach the regular expression (a call that costs more than
// the comparison, and would run for every field of every request and response).

/** "x-internal-*" → ^x\-internal\-.*$ ; "?" is one character. */
export function globSource(glob: string): string {
  let out = "^";
  for (const c of glob) {
    if (c === "*") out += ".*";
    else if (c === "?") out += ".";
    else out += c.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
  }
  return `${out}$`;
}

/** One case-insensitive expression for all the patterns, or undefined when there are none. */
export function namePattern(globs: readonly string[], regexes: readonly string[]): RegExp | undefined {
  const sources = [...globs.map(globSource), ...regexes.map((r) => `(?:${r})`)];
  return sources.length === 0 ? undefined : new RegExp(sources.join("|"), "i");
}

/** The literal characters every name the glob matches starts with, lower case ("" if none). */
export function globPrefix(glob: string): string {
  const wild = glob.search(/[*?]/);
  return (wild < 0 ? glob : glob.slice(0, wild)).toLowerCase();
}

const LITERAL = /[A-Za-z0-9_-]/;

/**
 * The literal characters every name the regular expression matches starts with, lower case; "" when
 * that cannot be told simply. Only "^" followed by plain characters counts, and the expression must
 * have no "|" anywhere (an alternative could match without the prefix); a character that a quantifier
 * may make optional ("^ab*", "^ab?", "^ab{0,1}") is not part of the prefix.
 */
export function regexPrefix(source: string): string {
  if (!source.startsWith("^") || source.includes("|")) return "";
  let end = 1;
  while (end < source.length && LITERAL.test(source[end]!)) end++;
  const after = source[end];
  if (after === "*" || after === "?" || after === "{") end--;
  return end > 1 ? source.slice(1, end).toLowerCase() : "";
}

/** Whether `name` starts with `lowerPrefix` (lower case, ASCII) in any case. */
function startsWithFolded(name: string, lowerPrefix: string): boolean {
  if (name.length < lowerPrefix.length) return false;
  for (let i = 0; i < lowerPrefix.length; i++) {
    let c = name.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lowerPrefix.charCodeAt(i)) return false;
  }
  return true;
}

/** Whether a field name matches any of the patterns; undefined when there are none. */
export function compileNameMatcher(
  globs: readonly string[],
  regexes: readonly string[],
): ((name: string) => boolean) | undefined {
  const pattern = namePattern(globs, regexes);
  if (pattern === undefined) return undefined;
  const prefixes = [...globs.map(globPrefix), ...regexes.map(regexPrefix)];
  // Folding below is ASCII only, as field names are (RFC 9110 §5.1 token); any other prefix: no shortcut.
  if (prefixes.some((p) => p === "" || !/^[ -~]+$/.test(p))) return (name) => pattern.test(name);
  return (name) => {
    for (let i = 0; i < prefixes.length; i++)
      if (startsWithFolded(name, prefixes[i]!)) return pattern.test(name);
    return false;
  };
}
