// Where each key of a TOML document stands, so that a validation error about ["routes", 2, "upstream"]
// can say FILE:LINE:COL. smol-toml gives values without positions; this scanner only tracks keys,
// tables, arrays of tables and inline tables/arrays, and leaves the full grammar to the real parser.

export interface Position {
  line: number;
  col: number;
}

export type PathKey = string | number;

/** Map from a JSON-encoded concrete path to the position of its key. */
export class KeyPositions {
  readonly #positions = new Map<string, Position>();

  set(path: readonly PathKey[], pos: Position): void {
    const k = JSON.stringify(path);
    if (!this.#positions.has(k)) this.#positions.set(k, pos);
  }

  /** The position of `path`, or of its nearest ancestor that has one. */
  find(path: readonly PathKey[]): Position {
    for (let n = path.length; n > 0; n--) {
      const p = this.#positions.get(JSON.stringify(path.slice(0, n)));
      if (p) return p;
    }
    return { line: 1, col: 1 };
  }
}

interface Frame {
  kind: "inline-table" | "inline-array";
  path: PathKey[];
  index: number;
}

const BARE_KEY = /[A-Za-z0-9_-]/;

export function locateKeys(source: string): KeyPositions {
  const out = new KeyPositions();
  const arrayIndex = new Map<string, number>();
  let table: PathKey[] = [];
  const stack: Frame[] = [];
  let line = 1;
  let lineStart = 0;
  let i = 0;
  const n = source.length;
  const col = (at: number) => at - lineStart + 1;

  /** Insert the current index of each array of tables along a header's dotted key. */
  const concrete = (keys: string[]): PathKey[] => {
    const path: PathKey[] = [];
    for (const k of keys) {
      path.push(k);
      const idx = arrayIndex.get(JSON.stringify(path));
      if (idx !== undefined) path.push(idx);
    }
    return path;
  };

  const readKey = (): string[] | undefined => {
    const keys: string[] = [];
    for (;;) {
      while (source[i] === " " || source[i] === "\t") i++;
      const c = source[i];
      if (c === '"' || c === "'") {
        const end = source.indexOf(c, i + 1);
        if (end < 0) return undefined;
        keys.push(source.slice(i + 1, end));
        i = end + 1;
      } else if (c !== undefined && BARE_KEY.test(c)) {
        const start = i;
        while (i < n && BARE_KEY.test(source[i])) i++;
        keys.push(source.slice(start, i));
      } else return keys.length ? keys : undefined;
      while (source[i] === " " || source[i] === "\t") i++;
      if (source[i] !== ".") return keys;
      i++;
    }
  };

  const skipString = () => {
    const q = source[i];
    const triple = source.startsWith(q.repeat(3), i);
    const close = triple ? q.repeat(3) : q;
    i += triple ? 3 : 1;
    while (i < n && !source.startsWith(close, i)) {
      if (source[i] === "\\" && q === '"') i++;
      else if (source[i] === "\n") {
        line++;
        lineStart = i + 1;
      }
      i++;
    }
    i += close.length;
  };

  let expectKey = true;
  while (i < n) {
    const c = source[i];
    if (c === "\n") {
      line++;
      lineStart = ++i;
      if (stack.length === 0) expectKey = true;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r") {
      i++;
      continue;
    }
    if (c === "#") {
      while (i < n && source[i] !== "\n") i++;
      continue;
    }
    const top = stack[stack.length - 1];
    if (stack.length === 0 && expectKey && c === "[") {
      const isArray = source[i + 1] === "[";
      const at = i;
      i += isArray ? 2 : 1;
      const keys = readKey() ?? [];
      if (isArray) {
        const parent = concrete(keys.slice(0, -1));
        const base = [...parent, keys[keys.length - 1]];
        const k = JSON.stringify(base);
        const idx = (arrayIndex.get(k) ?? -1) + 1;
        arrayIndex.set(k, idx);
        // A new element of a parent array resets the indexes of arrays nested in the previous element.
        for (const key of arrayIndex.keys())
          if (key.startsWith(k.slice(0, -1)) && key !== k) arrayIndex.delete(key);
        table = [...base, idx];
      } else table = concrete(keys);
      out.set(table, { line, col: col(at) });
      while (i < n && source[i] !== "\n") i++;
      continue;
    }
    if ((expectKey && stack.length === 0) || top?.kind === "inline-table") {
      if (c === "}" && top) {
        stack.pop();
        i++;
        continue;
      }
      if (c === ",") {
        i++;
        continue;
      }
      const at = i;
      const keys = readKey();
      if (keys && source[i] === "=") {
        const base = top ? top.path : table;
        const path = [...base, ...keys];
        out.set(path, { line, col: col(at) });
        i++;
        expectKey = false;
        valueStart(path);
        continue;
      }
      i = at + 1;
      continue;
    }
    if (top?.kind === "inline-array") {
      if (c === "]") {
        stack.pop();
        i++;
        continue;
      }
      if (c === ",") {
        top.index++;
        i++;
        continue;
      }
      const path = [...top.path, top.index];
      out.set(path, { line, col: col(i) });
      if (c === "{" || c === "[") {
        valueStart(path);
        continue;
      }
    }
    if (c === '"' || c === "'") {
      skipString();
      continue;
    }
    i++;
  }
  return out;

  /** At the first character of a value: open a frame for an inline table or array. */
  function valueStart(path: PathKey[]): void {
    while (source[i] === " " || source[i] === "\t") i++;
    if (source[i] === "{") {
      stack.push({ kind: "inline-table", path, index: 0 });
      i++;
    } else if (source[i] === "[") {
      stack.push({ kind: "inline-array", path, index: 0 });
      i++;
    }
  }
}
