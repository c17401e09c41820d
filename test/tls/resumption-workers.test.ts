// Session resumption across workers: every worker of a listener derives the same ticket key from the
// secret the supervisor puts in the environment before forking, so a ticket issued by one worker
// resumes on any other.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { listen, portOf } from "../lib/net.ts";
import { requirePrograms } from "../lib/peers.ts";
import { startWeir, tempDir, writeConfig } from "../lib/weir-process.ts";
import { makeCa, makeLeaf } from "./certs.ts";
import { certificatesToml, sClient } from "./harness.ts";

test("a TLS 1.3 ticket from one worker resumes on the others (2 workers)", { timeout: 60_000 }, async (t) => {
  if (!requirePrograms(t, "openssl")) return;
  const dir = tempDir("weir-tickets-");
  const ca = makeCa(dir);
  const leaf = makeLeaf(ca, "a", ["a.test"]);
  const free = await listen(createServer());
  const port = portOf(free);
  free.close();
  const file = writeConfig(
    `[system]
workers = 2
[listeners.edge]
address = "127.0.0.1:${port}"
protocol = "http"
[listeners.edge.tls]
${certificatesToml([leaf])}
[[routes]]
respond = { status = 200, body = "ok" }
`,
    dir,
  );
  const weir = startWeir(["run", "--config", file]);
  t.after(() => weir.stop());
  await weir.waitFor(/"weir started"/);

  const session = join(dir, "session");
  const request = "GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n";
  const first = await sClient(
    port,
    ["-servername", "a.test", "-tls1_3", "-ign_eof", "-sess_out", session],
    request,
  );
  assert.ok(first.ok && !first.reused, first.output);
  // The kernel spreads new connections over both workers' accept queues: eight in a row reach both.
  for (let i = 0; i < 8; i++) {
    const again = await sClient(
      port,
      ["-servername", "a.test", "-tls1_3", "-ign_eof", "-sess_in", session],
      request,
    );
    assert.ok(again.reused, `attempt ${i} did not resume:\n${again.output}`);
  }
});
