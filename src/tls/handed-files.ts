// Where a process gets the bytes of the TLS files its config names (certificates, keys, client CA
// bundles, session ticket keys, upstream CA bundles and client certificates).
// - A worker is handed them by the supervisor (`installHandedFiles` from its start message, then
//   `updateHandedFiles` when the supervisor's poll accepted a changed pair): it has dropped privileges
//   and may not be able to read them, as nginx and HAProxy read keys before they drop theirs. It never
//   touches the files itself; a path it was not handed is an error, not a quiet read.
// - Any other process (the supervisor, weir in one process, tests) reads the files from disk.
// One table per process: a worker serves exactly one config generation.
import { readFileSync, statSync } from "node:fs";

/** File contents by absolute path, as the supervisor read and checked them. */
export type TlsFileBytes = Readonly<Record<string, Uint8Array>>;

interface Handed {
  readonly bytes: Map<string, Buffer>;
  /** Bumped for a path each time its bytes change: the stamp a store compares. */
  readonly versions: Map<string, number>;
  readonly subscribers: Set<() => void>;
}

let handed: Handed | undefined;

const asBuffer = (b: Uint8Array): Buffer =>
  Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** Worker: from now on every TLS file is read from `files`, never from disk. */
export function installHandedFiles(files: TlsFileBytes): void {
  handed = { bytes: new Map(), versions: new Map(), subscribers: new Set() };
  for (const [path, b] of Object.entries(files)) {
    handed.bytes.set(path, asBuffer(b));
    handed.versions.set(path, 1);
  }
}

/**
 * Worker: new bytes for some paths (a pair the supervisor accepted). Paths whose bytes did not change
 * keep their version; subscribers (certificate stores) are told once, after every path is replaced, so
 * that a certificate and its key change together.
 */
export function updateHandedFiles(files: TlsFileBytes): void {
  if (handed === undefined) return;
  let changed = false;
  for (const [path, b] of Object.entries(files)) {
    const next = asBuffer(b);
    const previous = handed.bytes.get(path);
    if (previous?.equals(next)) continue;
    handed.bytes.set(path, next);
    handed.versions.set(path, (handed.versions.get(path) ?? 0) + 1);
    changed = true;
  }
  if (!changed) return;
  for (const notify of handed.subscribers) notify();
}

/** True in a worker that was handed its files (it must not poll the disk). */
export function filesAreHanded(): boolean {
  return handed !== undefined;
}

/** Calls `notify` after each update of the handed files; returns the unsubscribe. No-op outside workers. */
export function onHandedFiles(notify: () => void): () => void {
  const h = handed;
  if (h === undefined) return () => {};
  h.subscribers.add(notify);
  return () => h.subscribers.delete(notify);
}

/** The bytes of a TLS file: handed, or read from disk. Throws an Error whose message names the path. */
export function readTlsFile(path: string): Buffer {
  if (handed === undefined) return readFileSync(path);
  const bytes = handed.bytes.get(path);
  if (bytes === undefined) throw new Error(`${path}: not handed over by the supervisor`);
  return bytes;
}

/**
 * A token that changes whenever one of `paths` changes: their handed versions, or the mtime and size of
 * each file on disk. Undefined when one cannot be read (stat'ed) now.
 */
export function tlsFilesStamp(...paths: string[]): string | undefined {
  const h = handed;
  let stamp = h === undefined ? "" : "handed";
  for (const path of paths) {
    if (h !== undefined) {
      const v = h.versions.get(path);
      if (v === undefined) return undefined;
      stamp += `:${v}`;
      continue;
    }
    try {
      const s = statSync(path);
      stamp += `:${s.mtimeMs}:${s.size}`;
    } catch {
      return undefined;
    }
  }
  return stamp;
}
