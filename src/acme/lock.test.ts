import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "../../test/lib/weir-process.ts";
import { isHeld, tryLock } from "./lock.ts";

test("one holder at a time; released locks can be taken again", () => {
  const path = join(tempDir("weir-lock-"), "a.lock");
  const first = tryLock(path);
  assert.ok(isHeld(first));
  assert.equal(JSON.parse(readFileSync(path, "utf8")).pid, process.pid);
  // Our own pid is alive: a second attempt (another instance would see the same) is refused.
  const second = tryLock(path);
  assert.equal(isHeld(second), false);
  first.release();
  assert.equal(existsSync(path), false);
  const third = tryLock(path);
  assert.ok(isHeld(third));
  third.release();
});

test("a lock of a dead process, an old one, or an unreadable one is stale and taken over", () => {
  const dir = tempDir("weir-lock-");
  const dead = join(dir, "dead.lock");
  writeFileSync(dead, JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), at: Date.now() }));
  const a = tryLock(dead);
  assert.ok(isHeld(a));
  a.release();
  const old = join(dir, "old.lock");
  writeFileSync(old, JSON.stringify({ pid: 1, host: "elsewhere", at: Date.now() - 2 * 3_600_000 }));
  assert.ok(isHeld(tryLock(old)));
  const fresh = join(dir, "fresh.lock");
  writeFileSync(fresh, JSON.stringify({ pid: 1, host: "elsewhere", at: Date.now() }));
  assert.equal(isHeld(tryLock(fresh)), false, "another host's fresh lock is respected");
  const garbage = join(dir, "garbage.lock");
  writeFileSync(garbage, "{");
  assert.ok(isHeld(tryLock(garbage)));
});

test("releasing a lock taken over by another instance leaves theirs alone", () => {
  const path = join(tempDir("weir-lock-"), "b.lock");
  const mine = tryLock(path);
  assert.ok(isHeld(mine));
  writeFileSync(path, JSON.stringify({ pid: 1, host: "other", at: Date.now() }));
  mine.release();
  assert.equal(existsSync(path), true);
});
