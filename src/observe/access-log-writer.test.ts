import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import pino from "pino";
import { jsonString, openAccessLog } from "./access-log-writer.ts";
import { createLogger } from "./log.ts";

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "weir-access-log-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function lines(file: string): string[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "");
}

const withoutTime = (line: string) => line.replace(/"time":"[^"]*"/, '"time":"T"');

test("lines have the shape pino gave them: level, time, pid, base fields, then the line's fields", (t) => {
  const dir = tempDir(t);
  const fields = {
    listener: "web",
    client: "127.0.0.1",
    path: '/a"b\\c\n\u0001é\u2028',
    status: 200,
    ms: 1.234,
    nan: Number.NaN,
    skipped: undefined,
    ok: true,
    nothing: null,
    headers: { authorization: "[redacted]" },
  };
  const ours = openAccessLog(join(dir, "ours.log"), { worker: 1, log: "access" });
  ours.info(fields);
  ours.flush();
  // The process log's pino setup (log.ts), with a synchronous destination so the line is there at once.
  const stream = pino.destination({ dest: join(dir, "pino.log"), sync: true });
  createLogger("info", { stream, reopen() {}, flush() {} }, { worker: 1, log: "access" }).info(fields);
  const [a] = lines(join(dir, "ours.log"));
  const [b] = lines(join(dir, "pino.log"));
  assert.ok(a !== undefined && b !== undefined);
  assert.equal(withoutTime(a), withoutTime(b));
  const rec = JSON.parse(a);
  assert.equal(rec.path, fields.path);
  assert.match(rec.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
});

test("strings that are not well-formed UTF-16 still make valid JSON", (t) => {
  const dir = tempDir(t);
  const log = openAccessLog(join(dir, "a.log"));
  log.info({ path: "/x\ud800y", host: "\x7f" });
  log.flush();
  const rec = JSON.parse(lines(join(dir, "a.log"))[0]!);
  assert.equal(rec.path, "/x\ud800y");
  assert.equal(rec.host, "\x7f");
});

test("lines are batched: nothing is written before a flush, the timer or a full buffer", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "a.log");
  const log = openAccessLog(file);
  log.info({ n: 0 });
  assert.equal(readFileSync(file, "utf8"), "", "still buffered");
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(lines(file).length, 1, "the timer flushed it");
  // ~2000 lines of ~100 bytes cross several 64 KiB batches; all arrive, in order.
  for (let i = 1; i <= 2000; i++) log.info({ n: i, pad: "x".repeat(60) });
  assert.ok(lines(file).length > 1, "full batches were written without waiting for the timer");
  log.flush();
  const all = lines(file).map((l) => JSON.parse(l).n);
  assert.deepEqual(
    all,
    Array.from({ length: 2001 }, (_, i) => i),
  );
  assert.equal(log.dropped, 0);
});

test("a line longer than a batch is written whole", (t) => {
  const dir = tempDir(t);
  const file = join(dir, "a.log");
  const log = openAccessLog(file);
  log.info({ n: 1 });
  log.info({ big: "é".repeat(100_000) });
  log.info({ n: 2 });
  log.flush();
  const recs = lines(file).map((l) => JSON.parse(l));
  assert.deepEqual(
    recs.map((r) => r.n ?? r.big.length),
    [1, 100_000, 2],
  );
});

test("reopen after a rotation writes to the new file; buffered lines go to the old one", (t) => {
  const dir = tempDir(t);
  const file = join(dir, "logs", "a.log");
  const log = openAccessLog(file);
  log.info({ n: 1 });
  renameSync(file, `${file}.1`);
  log.reopen();
  log.info({ n: 2 });
  log.flush();
  assert.deepEqual(
    lines(`${file}.1`).map((l) => JSON.parse(l).n),
    [1],
  );
  assert.deepEqual(
    lines(file).map((l) => JSON.parse(l).n),
    [2],
  );
});

test("buffered lines are written when the process exits", (t) => {
  const dir = tempDir(t);
  const file = join(dir, "a.log");
  const module = new URL("./access-log-writer.ts", import.meta.url).pathname;
  const script = `import { openAccessLog } from ${JSON.stringify(module)};
const log = openAccessLog(${JSON.stringify(file)});
log.info({ last: "words" });
process.exit(0);`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(lines(file)[0]!).last, "words");
});

test("stdout output: lines reach file descriptor 1", () => {
  const module = new URL("./access-log-writer.ts", import.meta.url).pathname;
  const script = `import { openAccessLog } from ${JSON.stringify(module)};
const log = openAccessLog("stdout", { log: "access" });
for (let i = 0; i < 3; i++) log.info({ i });`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const recs = r.stdout
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    recs.map((x) => [x.log, x.i]),
    [
      ["access", 0],
      ["access", 1],
      ["access", 2],
    ],
  );
});

test("infoJson writes the same line as info for the same members", (t) => {
  const dir = tempDir(t);
  const file = join(dir, "a.log");
  const log = openAccessLog(file, { log: "access" });
  log.info({ listener: "web", path: '/"q"', status: 200 });
  log.infoJson(`,"listener":"web","path":${jsonString('/"q"')},"status":200`);
  log.flush();
  const [a, b] = lines(file).map(withoutTime);
  assert.equal(a, b);
  assert.equal(JSON.parse(a!).path, '/"q"');
});
