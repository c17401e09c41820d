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
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer as createHttpServer, request } from "node:http";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createTlsServer, connect as tlsConnect } from "node:tls";
import { startWeir, type WeirProcess } from "../lib/weir-process.ts";

const MAIN = new URL("../../src/cli/main.ts", import.meta.url).pathname;

function setUpNetwork(): string[] {
  execFileSync("ip", ["link", "set", "lo", "up"]);
  const printed = execFileSync(process.execPath, [
    MAIN,
    "iptables",
    "--proxy-port",
    "4140",
    "--proxy-user",
    "nobody",
    "--ports",
    "18888,18825",
  ]).toString();
  const rules = printed.trim().split("\n");
  for (const rule of rules) {
    const [tool, ...args] = rule.split(" ");
    execFileSync(tool!, args);
  }
  return rules;
}

async function listen(server: Server, host: string, port: number): Promise<Server> {
  server.listen({ host, port, ipv6Only: host.includes(":") });
  await once(server, "listening");
  return server;
}

function httpOrigin(name: string): Server {
  return createHttpServer((req, res) => {
    const body = JSON.stringify({
      origin: name,
      path: req.url,
      host: req.headers.host ?? null,
      xff: req.headers["x-forwarded-for"] ?? null,
      version: req.httpVersion,
    });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
}

/** A self-signed certificate for origin.test, made with openssl. */
function originCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), "weir-transparent-"));
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=origin.test",
      "-addext",
      "subjectAltName=DNS:origin.test",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
    ],
    { stdio: "ignore" },
  );
  return {
    key: readFileSync(join(dir, "key.pem"), "utf8"),
    cert: readFileSync(join(dir, "cert.pem"), "utf8"),
  };
}

function echo(socket: Socket): void {
  socket.on("error", () => {});
  socket.pipe(socket);
}

async function startOrigins(tlsIdentity: { key: string; cert: string }): Promise<Server[]> {
  return Promise.all([
    listen(httpOrigin("v4"), "127.0.0.1", 18888),
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

function httpGet(host: string, path: string, authority: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port: 18888, path, headers: { host: authority }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

/** Sends `send` (if any) on a fresh connection, collects everything until the peer closes or `until` holds. */
function exchange(
  host: string,
  port: number,
  send: Buffer | string | undefined,
  until: (received: Buffer) => boolean,
): Promise<{ data: Buffer; firstByteMs: number; closed: boolean }> {
  return new Promise((resolve) => {
    const started = performance.now();
    let firstByteMs = -1;
    const chunks: Buffer[] = [];
    const socket = connect({ host, port });
    const finish = (closed: boolean) => {
      socket.destroy();
      resolve({ data: Buffer.concat(chunks), firstByteMs: Math.round(firstByteMs), closed });
    };
    const timer = setTimeout(() => finish(false), 8000);
    socket.on("data", (c: Buffer) => {
      if (firstByteMs < 0) firstByteMs = performance.now() - started;
      chunks.push(c);
      if (until(Buffer.concat(chunks))) {
        clearTimeout(timer);
        finish(false);
      }
    });
    socket.on("close", () => {
      clearTimeout(timer);
      finish(true);
    });
    socket.on("error", () => {});
    if (send !== undefined) socket.write(send);
  });
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
  results.http = await httpGet("127.0.0.1", "/through/redirect?x=1", "app.test:18888");
  const http10 = await exchange("127.0.0.1", 18888, "GET /http10 HTTP/1.0\r\n\r\n", () => false);
  results.http10 = {
    closed: http10.closed,
    head: http10.data.toString().split("\r\n")[0],
    body: http10.data.toString().split("\r\n\r\n")[1],
  };

  const payload = randomBytes(256 * 1024);
  const greeting = "220 origin.test ESMTP\r\n";
  const smtp = await exchange("127.0.0.1", 18825, undefined, (r) => r.length >= greeting.length);
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
    expectedFingerprint: new (await import("node:crypto")).X509Certificate(identity.cert).fingerprint256,
  };

  const speaksFirst = await exchange("127.0.0.3", 18888, undefined, (r) => r.includes(10));
  results.serverFirst = { data: speaksFirst.data.toString(), firstByteMs: speaksFirst.firstByteMs };
  const binary = Buffer.from([0x00, 0x01, 0x02, 0xff, 0x10, 0x42, 0x0a]);
  const raw = await exchange("127.0.0.4", 18888, binary, (r) => r.length >= binary.length);
  results.rawTcp = { identical: raw.data.equals(binary), firstByteMs: raw.firstByteMs };

  // Straight to the proxy port: its original destination is the listener itself.
  const loop = await exchange("127.0.0.1", 4140, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", () => false);
  results.loop = { closed: loop.closed, bytes: loop.data.length };
  await weir.waitFor(/forwarding would loop/, 3000).then(
    () => (results.loopLogged = true),
    () => (results.loopLogged = false),
  );
  await weir.waitFor(/"path":"\/http10"/, 3000).catch(() => {});
  return results;
}

const identity = originCertificate();
const rules = setUpNetwork();
const origins = await startOrigins(identity);
const weir = startWeir(["run", "--config", "examples/transparent.toml"]);
let output: Record<string, unknown>;
try {
  await weir.waitFor(/"weir started"|"msg":"ready"/, 15_000);
  output = { rules, ...(await runClients(weir, identity)) };
} catch (err) {
  output = { error: (err as Error).message };
}
const code = await weir.stop();
for (const origin of origins) origin.close();
process.stdout.write(
  JSON.stringify({ ...output, exitCode: code, weirStdout: weir.stdout(), weirStderr: weir.stderr() }),
);
process.exit(0);
