// Files of the ACME state folder: readable by weir's user only (folders 0700, files 0600), and written
// atomically (a temporary file beside the target, fsync, rename, fsync of the folder) so that a crash or a
// second instance never sees half a key or half a certificate chain.
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { AcmeError } from "./errors.ts";

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

/** Creates `dir` (and its parents) with mode 0700, and tightens it when it already exists. */
export function ensurePrivateDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: DIR_MODE });
    chmodSync(dir, DIR_MODE);
  } catch (err) {
    throw new AcmeError("STATE", `cannot create ${dir}: ${(err as Error).message}`, { cause: err });
  }
}

/** Replaces `file` with `data` in one step, mode 0600. Throws AcmeError("STATE"). */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "wx", FILE_MODE);
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, file);
    syncDir(dirname(file));
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {}
    throw new AcmeError("STATE", `cannot write ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** The file's bytes, or undefined when it does not exist. Throws AcmeError("STATE") on other errors. */
export function readIfExists(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new AcmeError("STATE", `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** The rename is durable only once the folder's entry is on disk too. */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a folder; the rename itself is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
