// Client certificates on a TLS listener (mTLS): "required" refuses clients without a valid certificate,
// "optional" lets them in without one but not with a bad one, and the verified subject reaches the
// ConnectionContext (filters) and the log.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { join } from "node:path";
import { before, describe, type TestContext, test } from "node:test";
import { connect as tlsConnect } from "node:tls";
import { loadConfig } from "../../src/config/load.ts";
import { provision } from "../../src/generation.ts";
import { newConnectionContext } from "../../src/listener/connection.ts";
import { createTlsFront, type TlsConnectionContext } from "../../src/tls/front.ts";
import { tempDir } from "../lib/weir-process.ts";
import { makeCa, makeLeaf, type TestCa, type TestCert } from "./certs.ts";
import { certificatesToml } from "./harness.ts";

let ca: TestCa;
let rogue: TestCa;
let server: TestCert;
let alice: TestCert;
let mallory: TestCert;

interface Front {
  port: number;
  seen: TlsConnectionContext[];
  failures(reason: string): Promise<number>;
}

/** A TLS front whose next handler records the context and answers "ok". */
async function front(t: TestContext, mode: "required" | "optional"): Promise<Front> {
  const loaded = loadConfig({
    text: `[log]\nlevel = "fatal"\n[listeners.edge]\naddress = "127.0.0.1:0"\n[listeners.edge.tls]\n${certificatesToml([server])}\nclient_auth = { ca = "${ca.ca}", mode = "${mode}" }\n`,
  });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const gen = provision(loaded.config);
  const seen: TlsConnectionContext[] = [];
  const tls = createTlsFront(gen, "edge", loaded.config.listeners.edge!, (socket: Socket, ctx) => {
    seen.push(ctx);
    socket.end("ok");
  });
  const net = createServer((s) => tls.accept(s, newConnectionContext("edge", s)));
  await new Promise<void>((r) => net.listen(0, "127.0.0.1", r));
  t.after(() => {
    tls.close();
    net.close();
  });
  return {
    port: (net.address() as { port: number }).port,
    seen,
    async failures(reason) {
      const m = await gen.metrics.registry.getSingleMetric("weir_tls_failures_total")?.get();
      return m?.values.find((v) => v.labels.reason === reason)?.value ?? 0;
    },
  };
}

/** Connects with `client` (or no certificate); resolves what the server sent, or the error code. */
function attempt(port: number, client: TestCert | undefined): Promise<string> {
  return new Promise((resolve) => {
    const s = tlsConnect({
      port,
      host: "127.0.0.1",
      servername: "server.test",
      ca: readFileSync(ca.ca),
      ...(client ? { cert: readFileSync(client.cert), key: readFileSync(client.key) } : {}),
    });
    let got = "";
    s.on("data", (c: Buffer) => {
      got += c;
    });
    s.on("error", (e: NodeJS.ErrnoException) => resolve(`error ${e.code}`));
    s.on("close", () => resolve(got === "" ? "closed" : got));
  });
}

describe("TLS client certificates", () => {
  before(() => {
    const dir = tempDir("weir-tls-mtls-");
    ca = makeCa(join(dir, "ca"));
    rogue = makeCa(join(dir, "rogue"), "rogue");
    server = makeLeaf(ca, "server", ["server.test"]);
    alice = makeLeaf(ca, "alice", ["alice"], { client: true });
    mallory = makeLeaf(rogue, "mallory", ["mallory"], { client: true });
  });

  test('"required": a verified certificate gets in with its subject; none or a foreign one is refused', async (t) => {
    const f = await front(t, "required");
    assert.equal(await attempt(f.port, alice), "ok");
    assert.equal(f.seen.length, 1);
    assert.match(f.seen[0]?.tls?.clientSubject ?? "", /CN=alice/);
    assert.equal(f.seen[0]?.tls?.serverName, "server.test");
    assert.notEqual(await attempt(f.port, undefined), "ok");
    assert.notEqual(await attempt(f.port, mallory), "ok");
    assert.equal(f.seen.length, 1);
    assert.equal(await f.failures("client_cert_invalid"), 1);
  });

  test('"optional": no certificate is fine (no subject), a foreign one is refused', async (t) => {
    const f = await front(t, "optional");
    assert.equal(await attempt(f.port, undefined), "ok");
    assert.equal(f.seen[0]?.tls?.clientSubject, undefined);
    assert.equal(await attempt(f.port, alice), "ok");
    assert.match(f.seen[1]?.tls?.clientSubject ?? "", /CN=alice/);
    assert.notEqual(await attempt(f.port, mallory), "ok");
    assert.equal(await f.failures("client_cert_invalid"), 1);
  });
});
