// Raw TCP tunnels to a TLS upstream: weir originates TLS, verified against the upstream's CA and name,
// so a plain TCP client reaches a TLS-only service; a certificate that does not verify closes the client.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { test } from "node:test";
import { createServer as createTlsServer } from "node:tls";
import { connectTo, listen, portOf, readAll } from "../lib/net.ts";
import { requirePrograms } from "../lib/peers.ts";
import { startWeir, tempDir, writeConfig } from "../lib/weir-process.ts";
import { makeCa, makeLeaf } from "./certs.ts";

async function freePort(): Promise<number> {
  const s = await listen(createServer());
  const p = portOf(s);
  s.close();
  return p;
}

test("a tcp listener tunnels to a TLS upstream, verified; a wrong name is refused", {
  timeout: 60_000,
}, async (t) => {
  if (!requirePrograms(t, "openssl")) return;
  const dir = tempDir("weir-tcp-tls-");
  const ca = makeCa(dir);
  const leaf = makeLeaf(ca, "origin", ["origin.test"]);
  // A TLS echo service that says which name the client asked for.
  const origin = createTlsServer({ cert: readFileSync(leaf.cert), key: readFileSync(leaf.key) }, (s) => {
    s.write(`sni=${(s as unknown as { servername: string }).servername}\n`);
    s.pipe(s);
  });
  await new Promise<void>((r) => origin.listen(0, "127.0.0.1", r));
  t.after(() => origin.close());
  const [good, bad] = [await freePort(), await freePort()];
  const file = writeConfig(
    `[system]
workers = 1
[listeners.good]
address = "127.0.0.1:${good}"
protocol = "tcp"
upstream = "verified"
[listeners.bad]
address = "127.0.0.1:${bad}"
protocol = "tcp"
upstream = "wrong_name"
[upstreams.verified]
endpoints = ["127.0.0.1:${portOf(origin)}"]
tls = { ca = "${ca.ca}", server_name = "origin.test" }
[upstreams.wrong_name]
endpoints = ["127.0.0.1:${portOf(origin)}"]
tls = { ca = "${ca.ca}", server_name = "other.test" }
`,
    dir,
  );
  const weir = startWeir(["run", "--config", file]);
  t.after(() => weir.stop());
  await weir.waitFor(/"weir started"/);

  const s = await connectTo({ port: good });
  const reply = readAll(s);
  s.end("plain in, TLS out\n");
  assert.equal((await reply).toString(), "sni=origin.test\nplain in, TLS out\n");

  const refused = await connectTo({ port: bad });
  assert.equal((await readAll(refused)).length, 0);
  await weir.waitFor(/upstream connect failed.*(altnames|ERR_TLS_CERT_ALTNAME_INVALID)/);
});
