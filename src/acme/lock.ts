// A lock file per certificate, so that two weir instances sharing a state folder (or the old and the
// new one during an upgrade) never order the same certificate at once. Created with O_EXCL; it holds
// {pid, host, at}. A lock is stale when its process is gone (same host) or it is older than `maxAgeMs`
// (another host, or a hung instance); a stale lock is taken over by renaming it away first, so that two
// instances breaking the same stale lock cannot both end up holding a new one.
import { randomBytes } from "node:crypto";
import { closeSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { AcmeError } from "./errors.ts";
import { FILE_MODE } from "./state-files.ts";

export interface LockOwner {
  pid: number;
  host: string;
  at: number;
}

export interface HeldLock {
  readonly path: string;
  release(): void;
}

/** Default age after which any lock is stale: longer than any order takes. */
export const LOCK_MAX_AGE_MS = 60 * 60_000;

/** Takes the lock, or returns the live owner holding it. Throws AcmeError("STATE") on I/O errors. */
export function tryLock(path: string, maxAgeMs = LOCK_MAX_AGE_MS): HeldLock | LockOwner {
  for (let attempt = 0; attempt < 3; attempt++) {
    const mine: LockOwner = { pid: process.pid, host: hostname(), at: Date.now() };
    const text = JSON.stringify(mine);
    try {
      const fd = openSync(path, "wx", FILE_MODE);
      writeSync(fd, text);
      closeSync(fd);
      return held(path, text);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST")
        throw new AcmeError("STATE", `cannot create lock ${path}: ${(err as Error).message}`, { cause: err });
    }
    const seen = readOwner(path);
    if (seen === undefined) continue; // released meanwhile
    if (!isStale(seen.owner, maxAgeMs)) return seen.owner;
    breakStale(path, seen.text);
  }
  const owner = readOwner(path);
  return owner?.owner ?? { pid: 0, host: "", at: Date.now() };
}

function held(path: string, text: string): HeldLock {
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      // Only our own lock is removed: a lock judged stale and taken over by another is theirs now.
      try {
        if (readFileSync(path, "utf8") === text) unlinkSync(path);
      } catch {}
    },
  };
}

function readOwner(path: string): { owner: LockOwner; text: string } | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    if (typeof o.pid === "number" && typeof o.host === "string" && typeof o.at === "number")
      return { owner: o as LockOwner, text };
  } catch {}
  // Unreadable content (a crash between create and write): stale by age 0.
  return { owner: { pid: 0, host: "", at: 0 }, text };
}

export function isStale(owner: LockOwner, maxAgeMs: number): boolean {
  if (Date.now() - owner.at > maxAgeMs) return true;
  if (owner.host !== hostname()) return false;
  if (owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

function breakStale(path: string, staleText: string): void {
  const aside = `${path}.${randomBytes(6).toString("hex")}.stale`;
  try {
    renameSync(path, aside);
  } catch {
    return; // someone else moved it first
  }
  try {
    // We moved a fresh lock by mistake (taken over between our read and rename): put it back.
    if (readFileSync(aside, "utf8") !== staleText) linkSync(aside, path);
  } catch {}
  try {
    unlinkSync(aside);
  } catch {}
}

export function isHeld(lock: HeldLock | LockOwner): lock is HeldLock {
  return "release" in lock;
}
