// Trailers, 100-continue, streaming bodies, forwarding headers from trusted proxies, Forwarded and Via,
// HTTP/2 upstreams, WebSocket upgrades and allowed CONNECT tunnels.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect as connectH2, createServer as createH2Server } from "node:http2";
import { connect, createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { config, rawExchange, requireProgram, run, startOrigin, startProxy } from "./harness.ts";

function oneRoute(port: number, routeExtra = "", listenerExtra = "", upstreamExtra = "") {
  return config(`
[listeners.web]
address = "127.0.0.1:1"
${listenerExtra}
[[routes]]
upstream = "o"
${routeExtra}
[upstreams.o]
endpoints = ["127.0.0.1:${port}"]
${upstreamExtra}
`);
}

test("response trailers pass to HTTP/1.1 and HTTP/2 clients", async (t) => {
  if (!requireProgram(t, "curl")) return;
  const origin = await startOrigin(t, (_req, res) => {
    res.writeHead(200, { trailer: "x-checksum" });
    res.write("body");
    res.addTrailers({ "x-checksum": "abc123" });
    res.end();
  });
  const p = await startProxy(t, oneRoute(origin.port));
  const h1 = await rawExchange(
    p.port,
    "GET / HTTP/1.1\r\nHost: x\r\nTE: trailers\r\nConnection: close\r\n\r\n",
  );
  assert.match(h1, /transfer-encoding: chunked/i);
  assert.match(h1, /\r\n0\r\nx-checksum: abc123\r\n\r\n$/i);
  const h2 = await run("curl", ["-sS", "-v", "--http2-prior-knowledge", `http://127.0.0.1:${p.port}/`]);
  assert.match(h2.stderr, /x-checksum: abc123/i);
});

test("Expect: 100-continue: weir asks for the body once the request may pass; 413 without reading it", async (t) => {
  const origin = await startOrigin(t);
  const p = await startProxy(t, oneRoute(origin.port, 'max_body_size = "1KiB"'));
  const big = await rawExchange(
    p.port,
    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n",
    1_000,
  );
  assert.match(big, /^HTTP\/1\.1 413 /);
  assert.doesNotMatch(big, /100 Continue/);

  const answer = await new Promise<string>((resolve) => {
    const s = connect(p.port, "127.0.0.1", () =>
      s.write(
        "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
      ),
    );
    let text = "";
    s.on("data", (c: Buffer) => {
      text += c.toString();
      if (text.startsWith("HTTP/1.1 100") && !text.includes("200")) s.write("hello");
    });
    s.on("close", () => resolve(text));
  });
  assert.match(answer, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
  assert.equal(origin.seen[0]?.body, "hello");
  assert.equal(origin.seen[0]?.headers.expect, undefined);
});

test("large bodies stream both ways (chunked upload, 8 MiB download)", async (t) => {
  if (!requireProgram(t, "curl")) return;
  const eight = Buffer.alloc(8 << 20, 7);
  const origin = await startOrigin(t, (req, res, seen) => {
    if (req.method === "POST") {
      res.end(createHash("sha256").update(seen.body).digest("hex"));
      return;
    }
    res.end(eight);
  });
  const p = await startProxy(t, oneRoute(origin.port));
  const down = await run("curl", [
    "-sS",
    "-o",
    "/dev/null",
    "-w",
    "%{size_download}",
    `http://127.0.0.1:${p.port}/`,
  ]);
  assert.equal(Number(down.stdout), eight.length);
  const payload = "x".repeat(300_000);
  const file = join(mkdtempSync(join(tmpdir(), "weir-body-")), "payload");
  writeFileSync(file, payload);
  t.after(() => rmSync(file, { force: true }));
  const up = await run("curl", [
    "-sS",
    "-H",
    "Transfer-Encoding: chunked",
    "--data-binary",
    `@${file}`,
    `http://127.0.0.1:${p.port}/`,
  ]);
  assert.equal(up.stdout, createHash("sha256").update(payload).digest("hex"));
});

test("forwarding headers: kept and extended from trusted proxies, replaced otherwise; Forwarded and Via", async (t) => {
  const origin = await startOrigin(t);
  const route = "[routes.forwarded]\nforwarded = true\nvia = true";
  const trusted = await startProxy(
    t,
    oneRoute(origin.port, route, '[listeners.web.http]\ntrusted_proxies = ["127.0.0.0/8"]'),
  );
  const head =
    "GET / HTTP/1.1\r\nHost: a.test:8080\r\nX-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Proto: https\r\n" +
    "Forwarded: for=203.0.113.9\r\nVia: 1.1 edge\r\nConnection: close\r\n\r\n";
  await rawExchange(trusted.port, head);
  const kept = origin.seen[0]!.headers;
  assert.equal(kept["x-forwarded-for"], "203.0.113.9, 127.0.0.1");
  assert.equal(kept["x-forwarded-proto"], "https");
  assert.equal(kept.forwarded, 'for=203.0.113.9, for=127.0.0.1;proto=http;host="a.test:8080"');
  assert.equal(kept.via, "1.1 edge, 1.1 weir");

  const untrusted = await startProxy(t, oneRoute(origin.port, route));
  await rawExchange(untrusted.port, head);
  const replaced = origin.seen[1]!.headers;
  assert.equal(replaced["x-forwarded-for"], "127.0.0.1");
  assert.equal(replaced["x-forwarded-proto"], "http");
  assert.equal(replaced["x-forwarded-host"], "a.test:8080");
  assert.equal(replaced.forwarded, 'for=127.0.0.1;proto=http;host="a.test:8080"');

  const off = await startProxy(
    t,
    oneRoute(
      origin.port,
      "[routes.forwarded]\nx_forwarded_for = false\nx_forwarded_proto = false\nx_forwarded_host = false",
    ),
  );
  await rawExchange(off.port, head);
  const none = origin.seen[2]!.headers;
  assert.equal(none["x-forwarded-for"], undefined);
  assert.equal(none["x-forwarded-proto"], undefined);
  assert.equal(none["x-forwarded-host"], undefined);
});

test("h2 = true upstreams are spoken to in HTTP/2 (prior knowledge)", async (t) => {
  const h2origin = createH2Server((req, res) => res.end(`h2 origin saw ${req.httpVersion} ${req.url}`));
  await new Promise<void>((r) => h2origin.listen(0, "127.0.0.1", r));
  t.after(() => new Promise<void>((r) => h2origin.close(() => r())));
  const port = (h2origin.address() as { port: number }).port;
  const p = await startProxy(t, oneRoute(port, "", "", "h2 = true"));
  const answer = await rawExchange(p.port, "GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  assert.match(answer, /h2 origin saw 2\.0 \/x/);
});

test("WebSocket upgrades are tunnelled end to end; refused where the route forbids them", async (t) => {
  const origin = await startOrigin(t);
  origin.server.on("upgrade", (req, socket) => {
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nX-Path: ${req.url}\r\n\r\n`,
    );
    socket.on("data", (d: Buffer) => socket.write(Buffer.concat([Buffer.from("echo:"), d])));
    socket.on("end", () => socket.end());
  });
  const p = await startProxy(t, oneRoute(origin.port));
  const reply = await new Promise<string>((resolve) => {
    const s = connect(p.port, "127.0.0.1", () =>
      s.write(
        "GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n",
      ),
    );
    let text = "";
    s.on("data", (c: Buffer) => {
      text += c.toString();
      if (text.includes("\r\n\r\n") && !text.includes("echo:")) s.write("ping");
      if (text.includes("echo:ping")) s.end();
    });
    s.on("close", () => resolve(text));
  });
  assert.match(reply, /^HTTP\/1\.1 101 Switching Protocols\r\n[\s\S]*X-Path: \/chat[\s\S]*echo:ping$/);

  const closed = await startProxy(t, oneRoute(origin.port, "websocket = false"));
  const refused = await rawExchange(
    closed.port,
    "GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
  );
  assert.match(refused, /^HTTP\/1\.1 403 /);
});

/** A TCP target that answers "tcp:<bytes>", an origin, and weir allowing CONNECT to the target only. */
async function connectSetup(t: TestContext) {
  const target = createNetServer((s) => s.on("data", (d: Buffer) => s.write(`tcp:${d}`)));
  await new Promise<void>((r) => target.listen(0, "127.0.0.1", r));
  t.after(() => new Promise<void>((r) => target.close(() => r())));
  const port = (target.address() as { port: number }).port;
  const origin = await startOrigin(t);
  const p = await startProxy(t, oneRoute(origin.port, `connect = ["127.0.0.1:${port}"]`));
  return { port, origin, p };
}

test("CONNECT to a listed target becomes a byte tunnel; other targets get 405", async (t) => {
  const { port, origin, p } = await connectSetup(t);
  const reply = await new Promise<string>((resolve) => {
    const s = connect(p.port, "127.0.0.1", () =>
      s.write(`CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`),
    );
    let text = "";
    s.on("data", (c: Buffer) => {
      text += c.toString();
      if (text.endsWith("\r\n\r\n")) s.write("raw bytes");
      if (text.includes("tcp:raw bytes")) s.end();
    });
    s.on("close", () => resolve(text));
  });
  assert.equal(reply, "HTTP/1.1 200 Connection Established\r\n\r\ntcp:raw bytes");
  const other = await rawExchange(p.port, `CONNECT 127.0.0.1:${port + 1} HTTP/1.1\r\nHost: x\r\n\r\n`);
  assert.match(other, /^HTTP\/1\.1 405 /);
  assert.equal(origin.seen.length, 0);
});

test("CONNECT over HTTP/2 to a listed target is a tunnel on its stream; other targets get 405", async (t) => {
  const { port, origin, p } = await connectSetup(t);
  const session = connectH2(`http://127.0.0.1:${p.port}`);
  t.after(() => session.close());
  // RFC 9113 §8.5: only :method and :authority; DATA frames then carry the tunnel's bytes both ways.
  const tunnel = session.request(
    { ":method": "CONNECT", ":authority": `127.0.0.1:${port}` },
    { endStream: false },
  );
  const status = await new Promise<unknown>((r) => tunnel.once("response", (h) => r(h[":status"])));
  assert.equal(status, 200);
  tunnel.write("raw bytes");
  const echoed = await new Promise<string>((resolve) => {
    let text = "";
    tunnel.on("data", (c: Buffer) => {
      text += c.toString();
      if (text.includes("tcp:raw bytes")) resolve(text);
    });
  });
  assert.equal(echoed, "tcp:raw bytes");
  tunnel.close();
  const refused = session.request(
    { ":method": "CONNECT", ":authority": `127.0.0.1:${port + 1}` },
    { endStream: false },
  );
  const refusedStatus = await new Promise<unknown>((r) => refused.once("response", (h) => r(h[":status"])));
  assert.equal(refusedStatus, 405);
  refused.close();
  assert.equal(origin.seen.length, 0);
});
