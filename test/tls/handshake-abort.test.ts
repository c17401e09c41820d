// A client that sends its ClientHello and then closes, before its Finished, is closed at once and counted
// as weir_tls_failures_total{reason="client_closed"}, not held until handshake_timeout (which also held a
// draining listener, e.g. the old generation of a reload, for its whole grace period).
import assert from "node:assert/strict";
import { connect, createServer } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { connect as tlsConnect } from "node:tls";
import { tempDir } from "../lib/weir-process.ts";
import { makeCa, makeLeaf } from "./certs.ts";
import { edgeTlsToml, startTlsProxy } from "./harness.ts";

/** The bytes node:tls sends first for a.test: a real ClientHello, captured by a server that answers nothing. */
async function captureClientHello(): Promise<Buffer> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  const hello = new Promise<Buffer>((resolve) =>
    server.once("connection", (s) => s.once("data", (d: Buffer) => resolve(d))),
  );
  const client = tlsConnect({ port, host: "127.0.0.1", servername: "a.test" });
  client.on("error", () => {});
  const bytes = await hello;
  client.destroy();
  server.close();
  return bytes;
}

test("a client closing during the handshake is closed at once and counted", async (t) => {
  const pki = makeCa(join(tempDir("weir-tls-abort-"), "pki"));
  const leaf = makeLeaf(pki, "a", ["a.test"]);
  const p = await startTlsProxy(
    t,
    `${edgeTlsToml(leaf, ['handshake_timeout = "10s"'])}[[routes]]
respond = { status = 200, body = "x" }
`,
  );
  const hello = await captureClientHello();
  const started = Date.now();
  const answer = await new Promise<Buffer>((resolve) => {
    const s = connect(p.port, "127.0.0.1", () => s.end(hello));
    const got: Buffer[] = [];
    s.on("data", (c: Buffer) => got.push(c));
    s.on("error", () => {});
    s.on("close", () => resolve(Buffer.concat(got)));
  });
  const ms = Date.now() - started;
  assert.equal(answer[0], 0x16, "weir answered the hello (a handshake record) before the client left");
  assert.ok(ms < 2_000, `closed after ${ms} ms, not at the 10 s handshake timeout`);
  assert.equal(await p.failures("client_closed"), 1);
  assert.equal(await p.failures("handshake_timeout"), 0);
  const closing = Date.now();
  await p.listener.close(5_000);
  assert.ok(Date.now() - closing < 1_000, "nothing left for the drain to wait for");
});
