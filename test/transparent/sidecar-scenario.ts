// Run by sidecar.test.ts inside a fresh network namespace (`unshare --net --fork`, as root): a transparent
// listener on one dual-stack address, [::]:4140, behind the rules `weir iptables` prints for iptables and
// ip6tables, with a certificate for line.test and app.test, so that TLS to those names is terminated and
// the decrypted stream detected again. Prints one JSON object with what each client saw and weir's output.
//
// Redirected origins (18888 and 18443 are redirected to 4140; 18080 is not):
//   127.0.0.1:18888, [::1]:18888   HTTP, answering with what it received (origin name, Host, X-Forwarded-For)
//   127.0.0.1:18443, [::1]:18443   a cleartext line protocol (Redis's PING, answered "+PONG v4" / "+PONG v6")
//   127.0.0.2:18443                a cleartext server that speaks first: a greeting
//   127.0.0.1:18080                HTTP "app", the upstream of the route for app.test (not redirected)
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { once } from "node:events";
import { chmodSync, mkdtempSync, readFileSync } from "node:fs";
import { createServer as createHttpServer, request as httpRequest } from "node:http";
import { connect as h2connect } from "node:http2";
import { request as httpsRequest } from "node:https";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { startWeir, type WeirProcess, writeConfig } from "../lib/weir-process.ts";

const MAIN = new URL("../../src/cli/main.ts", import.meta.url).pathname;
const DETECT_TIMEOUT_MS = 300;
/** A Redis PING (RESP array): a client-first line protocol that is not HTTP ("PING x" would look like a
 * request line to detection, as a method and a request-target). */
const RESP_PING = "*1\r\n$4\r\nPING\r\n";

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
    "18888,18443",
  ]).toString();
  const rules = printed.trim().split("\n");
  for (const rule of rules) {
    const [tool, ...args] = rule.split(" ");
    execFileSync(tool!, args);
  }
  return rules;
}

/** weir's certificate for line.test and app.test, readable by the workers' user (nobody). */
function weirCertificate(): { dir: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), "weir-sidecar-"));
  chmodSync(dir, 0o755);
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
      "/CN=line.test",
      "-addext",
      "subjectAltName=DNS:line.test,DNS:app.test",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
    ],
    { stdio: "ignore" },
  );
  chmodSync(join(dir, "key.pem"), 0o644);
  return { dir, cert: readFileSync(join(dir, "cert.pem"), "utf8") };
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
      host: req.headers.host ?? null,
      xff: req.headers["x-forwarded-for"] ?? null,
      proto: req.headers["x-forwarded-proto"] ?? null,
    });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
}

/** A cleartext "Redis": answers a whole PING with "+PONG <name>"; with a greeting, speaks first instead. */
function lineOrigin(name: string, greeting?: string): Server {
  return createServer({ allowHalfOpen: true }, (s: Socket) => {
    s.on("error", () => {});
    s.on("end", () => s.end());
    if (greeting !== undefined) return void s.write(greeting);
    let received = "";
    s.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
      if (received === RESP_PING) s.write(`+PONG ${name}\r\n`);
    });
  });
}

function startOrigins(): Promise<Server[]> {
  return Promise.all([
    listen(httpOrigin("v4"), "127.0.0.1", 18888),
    listen(httpOrigin("v6"), "::1", 18888),
    listen(lineOrigin("v4"), "127.0.0.1", 18443),
    listen(lineOrigin("v6"), "::1", 18443),
    listen(lineOrigin("first", "220 origin ready\r\n"), "127.0.0.2", 18443),
    listen(httpOrigin("app"), "127.0.0.1", 18080),
    listen(httpOrigin("plain"), "127.0.0.3", 18443),
  ]);
}

function settle<T>(promise: Promise<T>): Promise<T | { error: string }> {
  return promise.catch((e: Error) => ({ error: e.message }));
}

/** TLS to `host`:18443 with SNI `servername`; sends `send` (if any), reads until `until` holds. */
function tlsExchange(
  host: string,
  servername: string,
  ca: string,
  send: string | undefined,
  until: (received: string) => boolean,
): Promise<{ authorized: boolean; fingerprint?: string; data: string; firstByteMs: number }> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host, port: 18443, servername, ca });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from ${host} in 5 s, got ${JSON.stringify(data)}`));
    }, 5000);
    let data = "";
    let secureAt = 0;
    let firstByteMs = -1;
    socket.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.once("secureConnect", () => {
      secureAt = performance.now();
      if (send !== undefined) socket.write(send);
    });
    socket.on("data", (chunk: Buffer) => {
      if (firstByteMs < 0) firstByteMs = Math.round(performance.now() - secureAt);
      data += chunk.toString();
      if (!until(data)) return;
      clearTimeout(timer);
      const fingerprint = socket.getPeerX509Certificate()?.fingerprint256;
      socket.destroy();
      resolve({ authorized: socket.authorized, fingerprint, data, firstByteMs });
    });
  });
}

function readJson(res: NodeJS.ReadableStream, status: number, resolve: (v: unknown) => void): void {
  const chunks: Buffer[] = [];
  res.on("data", (c: Buffer) => chunks.push(c));
  res.on("end", () => {
    const text = Buffer.concat(chunks).toString();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {}
    resolve({ status, body });
  });
}

/** HTTP/1.1 over TLS without ALPN: only the decrypted bytes say it is HTTP. */
function httpsGet(ca: string, address = "127.0.0.1", host = "app.test"): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: address,
        port: 18443,
        servername: "app.test",
        ca,
        path: "/",
        headers: { host },
        agent: false,
        timeout: 5000,
      },
      (res) => readJson(res, res.statusCode ?? 0, resolve),
    );
    req.on("timeout", () => req.destroy(new Error("no answer in 5 s")));
    req.on("error", reject);
    req.end();
  });
}

/** HTTP/2 over TLS, chosen by ALPN. */
function h2Get(ca: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const session = h2connect("https://app.test:18443", {
      createConnection: () =>
        tlsConnect({ host: "127.0.0.1", port: 18443, servername: "app.test", ca, ALPNProtocols: ["h2"] }),
    });
    session.on("error", reject);
    const stream = session.request({ ":path": "/" });
    stream.setTimeout(5000, () => stream.close());
    stream.on("error", reject);
    stream.on("response", (headers) =>
      readJson(stream, Number(headers[":status"]), (v) => {
        session.close();
        resolve(v);
      }),
    );
    stream.end();
  });
}

function httpGet(host: string, authority: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host, port: 18888, path: "/", headers: { host: authority }, agent: false, timeout: 5000 },
      (res) => readJson(res, res.statusCode ?? 0, resolve),
    );
    req.on("timeout", () => req.destroy(new Error("no answer in 5 s")));
    req.on("error", reject);
    req.end();
  });
}

/** Straight to the proxy port: closed as a loop, nothing answered. */
function direct(host: string): Promise<{ closed: boolean; bytes: number }> {
  return new Promise((resolve) => {
    let bytes = 0;
    const socket = connect({ host, port: 4140 });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ closed: false, bytes });
    }, 3000);
    socket.on("data", (c: Buffer) => {
      bytes += c.length;
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ closed: true, bytes });
    });
    socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  });
}

async function runClients(ca: string): Promise<Record<string, unknown>> {
  const line = (s: string) => s.endsWith("\r\n");
  return {
    lineV4: await settle(tlsExchange("127.0.0.1", "line.test", ca, RESP_PING, line)),
    lineV6: await settle(tlsExchange("::1", "line.test", ca, RESP_PING, line)),
    serverFirst: await settle(tlsExchange("127.0.0.2", "line.test", ca, undefined, line)),
    https: await settle(httpsGet(ca)),
    httpsUnrouted: await settle(httpsGet(ca, "127.0.0.3", "elsewhere.test")),
    h2: await settle(h2Get(ca)),
    httpV4: await settle(httpGet("127.0.0.1", "v4.test:18888")),
    httpV6: await settle(httpGet("::1", "v6.test:18888")),
    loopV4: await direct("127.0.0.1"),
    loopV6: await direct("::1"),
  };
}

const rules = setUpNetwork();
const { dir, cert } = weirCertificate();
const origins = await startOrigins();
const config = writeConfig(`
[system]
user = "nobody"
group = "nogroup"
workers = 1

[listeners.outbound]
address = "[::]:4140"
protocol = "auto"
transparent = true
detect_timeout = "${DETECT_TIMEOUT_MS}ms"

[listeners.outbound.tls]
certificates = [{ cert = "${join(dir, "cert.pem")}", key = "${join(dir, "key.pem")}" }]

[[routes]]
host = "app.test"
upstream = "app"

[upstreams.app]
endpoints = ["127.0.0.1:18080"]
`);
const weir: WeirProcess = startWeir(["run", "--config", config]);
let output: Record<string, unknown>;
try {
  await weir.waitFor(/"weir started"|"msg":"ready"/, 15_000);
  output = { rules, ...(await runClients(cert)) };
  // Tunnels' access log lines are written when they close.
  await weir.waitFor(/"original_dst":"127.0.0.2:18443"/, 3000).catch(() => {});
  await weir.waitFor(/"original_dst":"\[::1\]:18443"/, 3000).catch(() => {});
} catch (err) {
  output = { error: (err as Error).message };
}
const code = await weir.stop();
for (const origin of origins) origin.close();
process.stdout.write(
  JSON.stringify({
    ...output,
    detectTimeoutMs: DETECT_TIMEOUT_MS,
    weirFingerprint: new X509Certificate(cert).fingerprint256,
    exitCode: code,
    weirStdout: weir.stdout(),
    weirStderr: weir.stderr(),
  }),
);
process.exit(0);
