// The transparent contract, run inside a fresh network namespace (test/contract/transparent.test.ts starts
// it with `unshare --net --fork`, as root): loopback up, the rules `weir iptables` prints, the origins,
// weir on examples/transparent.toml (workers as nobody) and the clients, all in here. Prints one JSON
// object with what each client saw and weir's output; the test asserts on it. Everything dies with it,
// and the namespace with the last process.
//
// Origins, all on redirected ports (18888 detects, 18825 is opaque), told apart by address:
//   127.0.0.1:18888                  HTTP, answering with what it received (X-Forwarded-For, Host, path)
//   127.0.0.2:18888                  TLS with its own self-signed certificate for origin.test (an echo)
//   127.0.0.3:18888                  raw TCP that speaks first (only detection's timeout lets it through)
//   127.0.0.4:18888                  raw TCP echo that the client speaks first to, in a non-HTTP protocol
//   127.0.0.1:18825                  server-speaks-first "SMTP": a greeting, then an echo
// The contract's listener is 127.0.0.1:4140, IPv4 only; sidecar-scenario.ts runs one dual-stack [::]:4140
// listener for IPv4 and IPv6 applications, and TLS that weir terminates.
import { randomBytes, X509Certificate } from "node:crypto";
import { once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, connect as tlsConnect } from "node:tls";
import { startWeir, type WeirProcess } from "../lib/weir-process.ts";
import {
  exchange,
  httpGet,
  httpOrigin,
  listen,
  redirectToWeir,
  reportScenario,
  selfSignedIdentity,
  straightToProxy,
} from "./kit.ts";

/** How long a client waits for an origin through weir before giving up on it. */
const EXCHANGE_MS = 8000;

function echo(socket: Socket): void {
  socket.on("error", () => {});
  socket.pipe(socket);
}

async function startOrigins(tlsIdentity: { key: string; cert: string }): Promise<Server[]> {
  return Promise.all([
    listen(httpOrigin("v4", ["path", "host", "xff", "version"]), "127.0.0.1", 18888),
    listen(createTlsServer(tlsIdentity, echo), "127.0.0.2", 18888),
    listen(
      createServer({ allowHalfOpen: true }, (s) => {
        s.write("HELLO from a server that speaks first\n");
        echo(s);
      }),
      "127.0.0.3",
      18888,
    ),
    listen(createServer({ allowHalfOpen: true }, echo), "127.0.0.4", 18888),
    listen(
      createServer({ allowHalfOpen: true }, (s) => {
        s.write("220 origin.test ESMTP\r\n");
        echo(s);
      }),
      "127.0.0.1",
      18825,
    ),
  ]);
}

async function tlsCheck(identity: { cert: string }): Promise<Record<string, unknown>> {
  const socket = tlsConnect({ host: "127.0.0.2", port: 18888, servername: "origin.test", ca: identity.cert });
  socket.on("error", () => {});
  const outcome = await Promise.race([
    once(socket, "secureConnect").then(() => "secure"),
    once(socket, "error").then(([e]) => `error: ${(e as Error).message}`),
    once(socket, "close").then(() => "closed"),
  ]);
  if (outcome !== "secure") return { outcome };
  const peer = socket.getPeerX509Certificate();
  socket.write("ping over TLS\n");
  const [reply] = (await once(socket, "data")) as [Buffer];
  socket.destroy();
  return {
    outcome,
    authorized: socket.authorized,
    subject: peer?.subject,
    fingerprint: peer?.fingerprint256,
    reply: reply.toString(),
  };
}

async function runClients(weir: WeirProcess, identity: { cert: string }): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = {};
  results.http = await httpGet("127.0.0.1", "app.test:18888", "/through/redirect?x=1");
  const http10 = await exchange("127.0.0.1", 18888, "GET /http10 HTTP/1.0\r\n\r\n", () => false, EXCHANGE_MS);
  results.http10 = {
    closed: http10.closed,
    head: http10.data.toString().split("\r\n")[0],
    body: http10.data.toString().split("\r\n\r\n")[1],
  };

  const payload = randomBytes(256 * 1024);
  const greeting = "220 origin.test ESMTP\r\n";
  const smtp = await exchange("127.0.0.1", 18825, undefined, (r) => r.length >= greeting.length, EXCHANGE_MS);
  const smtpEcho = await new Promise<Record<string, unknown>>((resolve) => {
    const socket = connect({ host: "127.0.0.1", port: 18825 });
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => {
      chunks.push(c);
      const all = Buffer.concat(chunks);
      if (all.length === greeting.length + payload.length) {
        socket.destroy();
        const back = all.subarray(greeting.length);
        resolve({
          greeting: all.subarray(0, greeting.length).toString(),
          identical: back.equals(payload),
          bytes: back.length,
        });
      }
    });
    socket.on("error", (e) => resolve({ error: e.message }));
    socket.write(payload);
  });
  results.opaque = { greeting: smtp.data.toString(), firstByteMs: smtp.firstByteMs, ...smtpEcho };

  results.tls = {
    ...(await tlsCheck(identity)),
    expectedFingerprint: new X509Certificate(identity.cert).fingerprint256,
  };

  const speaksFirst = await exchange("127.0.0.3", 18888, undefined, (r) => r.includes(10), EXCHANGE_MS);
  results.serverFirst = { data: speaksFirst.data.toString(), firstByteMs: speaksFirst.firstByteMs };
  const binary = Buffer.from([0x00, 0x01, 0x02, 0xff, 0x10, 0x42, 0x0a]);
  const raw = await exchange("127.0.0.4", 18888, binary, (r) => r.length >= binary.length, EXCHANGE_MS);
  results.rawTcp = { identical: raw.data.equals(binary), firstByteMs: raw.firstByteMs };

  // Straight to the proxy port: its original destination is the listener itself.
  results.loop = await straightToProxy("127.0.0.1", EXCHANGE_MS);
  await weir.waitFor(/forwarding would loop/, 3000).then(
    () => (results.loopLogged = true),
    () => (results.loopLogged = false),
  );
  await weir.waitFor(/"path":"\/http10"/, 3000).catch(() => {});
  return results;
}

const { key, cert } = selfSignedIdentity(["origin.test"]);
const rules = redirectToWeir("18888,18825");
const origins = await startOrigins({ key, cert });
const weir = startWeir(["run", "--config", "examples/transparent.toml"]);
await reportScenario(weir, origins, async () => ({ rules, ...(await runClients(weir, { cert })) }));
