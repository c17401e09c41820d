// Path normalisation before routing (RFC 3986 §6.2.2), for every request of an HTTP listener, so that
// routes, CIDR rules and the upstream all see one spelling of a path: `/a/../admin`, `/%61dmin`,
// `//admin` and `/./admin` are all `/admin`.
//   1. percent-encoded unreserved characters (ALPHA DIGIT - . _ ~, §2.3) are decoded; other escapes
//      keep their meaning and get upper-case hex digits (§6.2.2.1);
//   2. dot segments are removed (§5.2.4) and runs of slashes merged into one;
// Ambiguous paths are refused with 400 instead: an encoded slash or backslash (%2F, %5C), whose meaning
// differs between servers, a NUL (raw or %00), a malformed escape. The query is left as it is.
import type { HttpFilter, Reply } from "../../http/phases.ts";
import type { RequestContext } from "../../http/request-context.ts";

export type Normalized = string | { readonly refused: string };

function hex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

function isUnreserved(c: number): boolean {
  return (
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x2d ||
    c === 0x2e ||
    c === 0x5f ||
    c === 0x7e
  );
}

/** True when the path (no query) may need work: an escape, a NUL, "//", or a "." segment. */
function needsWork(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 0x25 || c === 0) return true;
    if (c === 0x2f) {
      const next = path.charCodeAt(i + 1);
      if (next === 0x2f) return true;
      if (next === 0x2e) {
        const after = path.charCodeAt(i + 2);
        // "/." then end, "/", or another "." (which "/.." then end or "/" settles below)
        if (Number.isNaN(after) || after === 0x2f || after === 0x2e) return true;
      }
    }
  }
  return false;
}

/** The normalised form of an origin-form path (no query), or why it is refused. */
export function normalizePath(path: string): Normalized {
  if (!needsWork(path)) return path;
  let decoded = "";
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 0) return { refused: "NUL in path" };
    if (c !== 0x25) {
      decoded += path[i];
      continue;
    }
    const h = hex(path.charCodeAt(i + 1));
    const l = hex(path.charCodeAt(i + 2));
    if (h < 0 || l < 0) return { refused: "malformed percent-encoding" };
    const v = h * 16 + l;
    if (v === 0) return { refused: "NUL in path" };
    if (v === 0x2f || v === 0x5c) return { refused: "encoded slash in path" };
    decoded += isUnreserved(v)
      ? String.fromCharCode(v)
      : `%${path[i + 1]!.toUpperCase()}${path[i + 2]!.toUpperCase()}`;
    i += 2;
  }
  // Segments after the leading "/": empty ones (from "//") and "." vanish, ".." pops one.
  const segments = decoded.split("/");
  const out: string[] = [];
  const last = segments.length - 1;
  for (let i = 1; i <= last; i++) {
    const s = segments[i]!;
    if (s === "..") {
      out.pop();
      if (i === last) out.push("");
    } else if (s === ".") {
      if (i === last) out.push("");
    } else if (s === "") {
      if (i === last) out.push("");
    } else out.push(s);
  }
  return `/${out.join("/")}`;
}

const BAD_PATH_BODY = "400 ambiguous path\n";
const BAD_PATH: Reply = Object.freeze({
  status: 400,
  headers: Object.freeze({
    "content-type": "text/plain; charset=utf-8",
    "content-length": String(BAD_PATH_BODY.length),
  }),
  body: BAD_PATH_BODY,
});

/** requestArrival, before routing: rewrites `ctx.path` (also what the upstream gets) or answers 400. */
export const normalizePathFilter: HttpFilter = {
  name: "normalize_path",
  requestArrival(ctx: RequestContext) {
    const target = ctx.path;
    if (target.charCodeAt(0) !== 0x2f) return undefined; // CONNECT authority, "*"
    const q = target.indexOf("?");
    const path = q < 0 ? target : target.slice(0, q);
    const normalized = normalizePath(path);
    if (typeof normalized !== "string") return BAD_PATH;
    if (normalized !== path) ctx.path = q < 0 ? normalized : normalized + target.slice(q);
    return undefined;
  },
};
