// Unix socket listeners: the file mode is configurable, a stale file left by a dead process is removed,
// a socket another process serves is never stolen, and the file is removed on exit.
import assert from "node:assert/strict";
import { existsSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { closeFd, listenUnix } from "../../src/process/native.ts";
import { connectTo, echoServer, listen, portOf, readAll } from "../lib/net.ts";
import { startWeir, tempDir, writeConfig } from "../lib/weir-process.ts";

function config(path: string, echoPort: number, mode = "0600"): string {
  return writeConfig(`[system]
workers = 1
[listeners.local]
address = "unix:${path}"
protocol = "tcp"
upstream = "echo"
socket_mode = "${mode}"
[upstreams.echo]
endpoints = ["127.0.0.1:${echoPort}"]
`);
}

test("a stale socket file is replaced, the mode is applied, the file is removed on exit", async (t) => {
  const echo = await listen(echoServer());
  t.after(() => echo.close());
  const path = join(tempDir(), "weir.sock");
  // A socket file nobody accepts on any more: what a killed process leaves behind.
  closeFd(listenUnix(path, {}));
  assert.ok(existsSync(path));

  const weir = startWeir(["run", "--config", config(path, portOf(echo))]);
  await weir.waitFor(/"weir started"/);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const s = await connectTo({ path });
  const reply = readAll(s);
  s.end("over unix");
  assert.equal((await reply).toString(), "over unix");
  assert.equal(await weir.stop(), 0);
  assert.equal(existsSync(path), false, "the socket file is removed on exit");
});

test("a socket file another process serves is not stolen: one line, exit 1", async () => {
  const path = join(tempDir(), "busy.sock");
  const other = createServer(() => {});
  await new Promise<void>((r) => other.listen(path, r));
  try {
    const weir = startWeir(["run", "--config", config(path, 1)]);
    assert.equal(await weir.exited, 1);
    const lines = weir
      .stderr()
      .trim()
      .split("\n")
      .filter((l) => !l.startsWith("{"));
    assert.equal(lines.length, 1, weir.stderr());
    assert.match(lines[0], /listener "local".*served by another process/);
    // The other process still serves its socket.
    const s = await connectTo({ path });
    s.destroy();
  } finally {
    other.close();
  }
});
