// Resumption hints from a real client: Node resumes a TLS 1.2 session with a ticket (RFC 5077) and a
// TLS 1.3 session with pre_shared_key (RFC 8446 §4.2.11), which must be the last extension.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import tls from "node:tls";
import { captureNodeHello, requireProgram } from "./capture-hello.testkit.ts";
import { parseClientHello } from "./parse.ts";

const PRE_SHARED_KEY = 41;

function selfSignedCertificate(t: TestContext): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), "weir-hello-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const key = join(dir, "key.pem");
  const cert = join(dir, "cert.pem");
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1"].concat([
      "-subj",
      "/CN=resume.example",
      "-keyout",
      key,
      "-out",
      cert,
    ]),
    { stdio: "ignore" },
  );
  return { key: readFileSync(key), cert: readFileSync(cert) };
}

/** Completes one handshake with a real TLS server and returns the session the client can resume. */
async function obtainSession(t: TestContext, maxVersion: tls.SecureVersion): Promise<Buffer> {
  const server = tls.createServer({ ...selfSignedCertificate(t), maxVersion }, (socket) => {
    socket.on("error", () => {});
    socket.end("hello");
  });
  t.after(() => server.close());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as import("node:net").AddressInfo;
  return new Promise<Buffer>((resolve, reject) => {
    const socket = tls.connect({
      host: "127.0.0.1",
      port,
      servername: "resume.example",
      rejectUnauthorized: false,
    });
    t.after(() => socket.destroy());
    socket.on("error", reject);
    // TLS 1.3 tickets arrive after the handshake; the 'session' event fires for each.
    socket.once("session", (session: Buffer) => resolve(session));
    socket.resume();
  });
}

for (const maxVersion of ["TLSv1.2", "TLSv1.3"] as const) {
  test(`a resumed ${maxVersion} session is flagged`, async (t) => {
    if (!requireProgram(t, "openssl", ["version"])) return;
    const session = await obtainSession(t, maxVersion);
    const bytes = await captureNodeHello(t, { servername: "resume.example", session, maxVersion });
    const result = parseClientHello(bytes);
    assert.equal(result.kind, "hello", JSON.stringify(result));
    if (result.kind !== "hello") return;
    const { hello } = result;
    assert.equal(hello.serverName, "resume.example");
    if (maxVersion === "TLSv1.2") {
      assert.equal(hello.hasSessionTicket, true);
      assert.equal(hello.hasPreSharedKey, false);
    } else {
      assert.equal(hello.hasPreSharedKey, true);
      assert.equal(hello.extensions.at(-1), PRE_SHARED_KEY);
      assert.ok(hello.pskModes.length > 0);
    }
  });
}
