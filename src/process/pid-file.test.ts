import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { readPidFile, removePidFile, writePidFile } from "./pid-file.ts";

test("pid file: written whole, removed only while it names us", () => {
  const file = join(mkdtempSync(join(tmpdir(), "weir-pid-")), "run", "weir.pid");
  writePidFile(file, 1234);
  assert.equal(readFileSync(file, "utf8"), "1234\n");
  assert.equal(readPidFile(file), 1234);
  removePidFile(file, 999); // an upgraded instance wrote 1234 after us
  assert.ok(existsSync(file));
  removePidFile(file, 1234);
  assert.ok(!existsSync(file));
  assert.equal(readPidFile(file), undefined);
});
