// PROXY protocol interop with real peers from Debian: HAProxy sends v1/v2 (TLVs included) to weir's
// listeners, weir sends v1/v2 to HAProxy `accept-proxy` binds, and curl --haproxy-protocol talks to weir.
// Clients connect from 127.0.0.2 while every proxy-to-proxy hop comes from 127.0.0.1, so an address that
// arrives as 127.0.0.2 can only have travelled in a PROXY header.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { connect as tlsConnect } from "node:tls";
import { requirePrograms } from "../lib/peers.ts";
import { writeSelfSigned } from "../lib/self-signed.ts";
import {
  closedWithin,
  connectWhenUp,
  freePort,
  headerOrigin,
  httpOrigin,
  requestOver,
  startHaproxy,
  startWeir,
} from "./harness.ts";

const CLIENT = "127.0.0.2";

function weirHttp(origin: number, upstreamExtra = ""): string {
  return `
[listeners.pp]
address = "127.0.0.1:0"
protocol = "http"
proxy_protocol = "any"
proxy_protocol_from = ["127.0.0.1/32"]
[[routes]]
upstream = "origin"
[upstreams.origin]
endpoints = ["127.0.0.1:${origin}"]
${upstreamExtra}
`;
}

for (const send of ["send-proxy", "send-proxy-v2"]) {
  test(`HAProxy ${send} → weir http listener: the origin sees the client in X-Forwarded-For`, async (t) => {
    if (!requirePrograms(t, "haproxy")) return;
    const origin = await httpOrigin(t);
    const weir = await startWeir(t, weirHttp(origin.port), "pp");
    const front = await freePort();
    const haproxy = startHaproxy(t, [
      "frontend f",
      `  bind 127.0.0.1:${front}`,
      "  default_backend b",
      "backend b",
      `  server weir 127.0.0.1:${weir.port} ${send}`,
    ]);
    const s = await connectWhenUp(front, CLIENT, haproxy.stderr);
    const body = await requestOver(s);
    s.destroy();
    assert.notEqual(body, "closed", haproxy.stderr());
    assert.equal((body as { headers: Record<string, string> }).headers["x-forwarded-for"], CLIENT);
  });
}

/** A self-signed certificate for a.test, as HAProxy wants it: certificate and key in one PEM file. */
function certificate(): string {
  const dir = mkdtempSync(join(tmpdir(), "weir-pp-cert-"));
  const pem = join(dir, "a.test.pem");
  writeSelfSigned({
    names: ["a.test"],
    days: 2,
    keyFile: join(dir, "key.pem"),
    certFile: join(dir, "cert.pem"),
  });
  const both = readFileSync(join(dir, "cert.pem"), "latin1") + readFileSync(join(dir, "key.pem"), "latin1");
  execFileSync("sh", ["-c", `cat > ${pem}`], { input: both });
  return pem;
}

test("HAProxy send-proxy-v2 with crc32c, unique-id, authority and ssl TLVs → weir tcp listener → v2 upstream carries them on", async (t) => {
  if (!requirePrograms(t, "haproxy", "openssl")) return;
  const upstream = await headerOrigin(t, (a) => a.socket.end(`got:${a.rest.toString()}`), 5);
  const weir = await startWeir(
    t,
    `
[listeners.raw]
address = "127.0.0.1:0"
protocol = "tcp"
upstream = "u"
proxy_protocol = "v2"
proxy_protocol_from = ["127.0.0.1/32"]
[upstreams.u]
endpoints = ["127.0.0.1:${upstream.port}"]
proxy_protocol = "v2"
`,
    "raw",
  );
  const front = await freePort();
  const haproxy = startHaproxy(t, [
    "frontend f",
    `  bind 127.0.0.1:${front} ssl crt ${certificate()} alpn h2,http/1.1`,
    "  unique-id-format weir-%ci-%cp",
    "  default_backend b",
    "backend b",
    `  server weir 127.0.0.1:${weir.port} send-proxy-v2 proxy-v2-options crc32c,unique-id,authority,ssl`,
  ]);
  // TLS over a TCP connection made from the client address (tls.connect has no localAddress).
  const tcp = await connectWhenUp(front, CLIENT, haproxy.stderr);
  const clientPort = tcp.localPort;
  const tls = tlsConnect({
    socket: tcp,
    servername: "a.test",
    ALPNProtocols: ["h2"],
    rejectUnauthorized: false,
  });
  await new Promise<void>((resolve, reject) => tls.once("secureConnect", resolve).once("error", reject));
  const answer = new Promise<string>((resolve) => {
    let got = "";
    tls.on("data", (d) => {
      got += d;
    });
    tls.once("end", () => resolve(got));
    tls.once("close", () => resolve(got));
  });
  tls.write("hello");
  assert.equal(await answer, "got:hello", haproxy.stderr());
  tls.destroy();
  const h = upstream.arrivals.at(-1)?.header;
  assert.ok(h, JSON.stringify(upstream.arrivals.at(-1)?.result));
  assert.equal(h.version, 2);
  assert.deepEqual(h.source, { address: CLIENT, port: clientPort });
  assert.equal(h.destination?.port, front, "the destination is the address the client connected to");
  assert.equal(h.authority, "a.test");
  assert.equal(h.alpn, "h2");
  assert.equal(h.uniqueId?.toString(), `weir-${CLIENT}-${clientPort}`);
});

test("HAProxy LOCAL health checks (check-send-proxy) are served with the socket's own addresses", async (t) => {
  if (!requirePrograms(t, "haproxy")) return;
  const origin = await httpOrigin(t);
  const weir = await startWeir(t, weirHttp(origin.port), "pp");
  const front = await freePort();
  const haproxy = startHaproxy(t, [
    "frontend f",
    `  bind 127.0.0.1:${front}`,
    "  default_backend b",
    "backend b",
    "  mode http",
    "  option httpchk GET /health",
    `  server weir 127.0.0.1:${weir.port} send-proxy-v2 check check-send-proxy inter 100ms`,
  ]);
  for (let i = 0; i < 50 && !origin.seen.some((r) => r.url === "/health"); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const check = origin.seen.find((r) => r.url === "/health");
  assert.ok(check, `no health check reached the origin: ${haproxy.stderr()}`);
  assert.equal(check.headers["x-forwarded-for"], "127.0.0.1");
});

for (const version of ["v1", "v2"]) {
  test(`weir sends ${version} to an HAProxy accept-proxy bind (http mode, option forwardfor)`, async (t) => {
    if (!requirePrograms(t, "haproxy")) return;
    const origin = await httpOrigin(t);
    const haproxyPort = await freePort();
    const haproxy = startHaproxy(t, [
      "frontend f",
      "  mode http",
      `  bind 127.0.0.1:${haproxyPort} accept-proxy`,
      "  option forwardfor",
      "  default_backend b",
      "backend b",
      "  mode http",
      `  server o 127.0.0.1:${origin.port}`,
    ]);
    const weir = await startWeir(
      t,
      `
[listeners.web]
address = "127.0.0.1:0"
protocol = "http"
[[routes]]
upstream = "h"
[upstreams.h]
endpoints = ["127.0.0.1:${haproxyPort}"]
proxy_protocol = "${version}"
`,
      "web",
    );
    await connectWhenUp(haproxyPort, "127.0.0.1", haproxy.stderr).then((s) => s.destroy());
    const s = await connectWhenUp(weir.port, CLIENT);
    const body = await requestOver(s);
    s.destroy();
    assert.notEqual(body, "closed", haproxy.stderr());
    // weir's own entry, then HAProxy's: the client as HAProxy learnt it from our header.
    assert.equal(
      (body as { headers: Record<string, string> }).headers["x-forwarded-for"],
      `${CLIENT}, ${CLIENT}`,
    );
  });

  test(`weir tcp tunnel sends ${version} to HAProxy accept-proxy, which relays the client onward`, async (t) => {
    if (!requirePrograms(t, "haproxy")) return;
    const backend = await headerOrigin(t, (a) => a.socket.end(`got:${a.rest.toString()}`), 5);
    const haproxyPort = await freePort();
    const haproxy = startHaproxy(t, [
      "frontend f",
      `  bind 127.0.0.1:${haproxyPort} accept-proxy`,
      "  default_backend b",
      "backend b",
      `  server o 127.0.0.1:${backend.port} send-proxy`,
    ]);
    const weir = await startWeir(
      t,
      `
[listeners.raw]
address = "127.0.0.1:0"
protocol = "tcp"
upstream = "h"
[upstreams.h]
endpoints = ["127.0.0.1:${haproxyPort}"]
proxy_protocol = "${version}"
`,
      "raw",
    );
    // HAProxy is up once it accepts (this probe sends no header; HAProxy just drops it).
    await connectWhenUp(haproxyPort, "127.0.0.1", haproxy.stderr).then((p) => p.destroy());
    const s = await connectWhenUp(weir.port, CLIENT);
    const clientPort = s.localPort;
    const chunks: Buffer[] = [];
    s.on("data", (c: Buffer) => chunks.push(c));
    s.end("hello");
    await closedWithin(s);
    assert.equal(
      Buffer.concat(chunks).toString(),
      "got:hello",
      `${haproxy.stderr()} ${JSON.stringify(backend.arrivals.map((a) => [a.result, a.rest.toString()]))}`,
    );
    const h = backend.arrivals.find((a) => a.rest.toString() === "hello")?.header;
    assert.deepEqual(h?.source, { address: CLIENT, port: clientPort });
  });
}

test("curl --haproxy-protocol: weir serves the request and the origin sees curl's address", async (t) => {
  if (!requirePrograms(t, "curl")) return;
  const origin = await httpOrigin(t);
  const weir = await startWeir(t, weirHttp(origin.port).replace('["127.0.0.1/32"]', '["127.0.0.0/8"]'), "pp");
  const out = await new Promise<string>((resolve, reject) => {
    const curl = spawn("curl", [
      "-sS",
      "--max-time",
      "5",
      "--haproxy-protocol",
      "--interface",
      "127.0.0.4",
      `http://127.0.0.1:${weir.port}/via-curl`,
    ]);
    let text = "";
    curl.stdout.on("data", (d) => {
      text += d;
    });
    curl.once("error", reject);
    curl.once("exit", (code) => (code === 0 ? resolve(text) : reject(new Error(`curl exited ${code}`))));
  });
  const seen = JSON.parse(out) as { url: string; headers: Record<string, string> };
  assert.equal(seen.url, "/via-curl");
  assert.equal(seen.headers["x-forwarded-for"], "127.0.0.4");
});
