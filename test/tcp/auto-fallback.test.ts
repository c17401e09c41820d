// An "auto" listener that does not recognise the client's bytes tunnels them to its upstream; a FIN that
// arrived with those first bytes must reach the upstream too (it came before the tunnel existed).
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { test } from "node:test";
import { connectTo, echoServer, listen, portOf, readAll } from "../lib/net.ts";
import { startWeir, writeConfig } from "../lib/weir-process.ts";

test("opaque bytes and an early FIN on an auto listener reach the upstream; the reply comes back", {
  timeout: 15_000,
}, async (t) => {
  const echo = await listen(echoServer());
  t.after(() => echo.close());
  const free = await listen(createServer());
  const port = portOf(free);
  free.close();
  const weir = startWeir([
    "run",
    "--config",
    writeConfig(`[system]
workers = 1
[listeners.a]
address = "127.0.0.1:${port}"
protocol = "auto"
upstream = "echo"
[upstreams.echo]
endpoints = ["127.0.0.1:${portOf(echo)}"]
`),
  ]);
  t.after(() => weir.stop());
  await weir.waitFor(/"weir started"/);
  // Not HTTP ("hello\n"), and too short to decide ("he"): both with the FIN in the same breath.
  for (const payload of ["hello\n", "he"]) {
    const s = await connectTo({ port });
    const reply = readAll(s);
    s.end(payload);
    assert.equal((await reply).toString(), payload);
  }
});
