/**
 * The parser against real senders: curl --haproxy-protocol (v1) and HAProxy's send-proxy /
 * send-proxy-v2 with TLVs and CRC32C, plus its LOCAL health checks. Each peer is skipped with a reason
 * when missing, except under CI=true, where a missing peer fails the test.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { buildProxyHeaderV1 } from "./build-v1.ts";
import { buildProxyHeaderV2 } from "./build-v2.ts";
import { parseProxyHeader } from "./parse.ts";
import type { ParseResult } from "./types.ts";

type Header = Extract<ParseResult, { kind: "header" }>;
interface Received {
  result: ParseResult;
  rest: Buffer;
  socket: Socket;
}

function have(program: string): boolean {
  return spawnSync(program, ["--version"], { stdio: "ignore" }).error === undefined;
}

function needPeer(t: TestContext, program: string): boolean {
  if (have(program)) return true;
  if (process.env.CI === "true") assert.fail(`${program} is required under CI`);
  t.skip(`${program} is not installed`);
  return false;
}

/**
 * A server that parses the PROXY header of each connection as bytes arrive, and reports the result with
 * what followed it once `restLength` bytes of client data are in (or at once on "error").
 */
async function headerServer(
  t: TestContext,
  restLength: number,
  onConnection: (r: Received) => void,
): Promise<number> {
  const server: Server = createServer((socket) => {
    let buf = Buffer.alloc(0);
    let result: ParseResult = { kind: "incomplete" };
    let reported = false;
    socket.on("error", () => {});
    socket.on("data", (chunk: Buffer) => {
      if (reported) return;
      buf = Buffer.concat([buf, chunk]);
      if (result.kind === "incomplete") result = parseProxyHeader(buf);
      if (result.kind === "error" || (result.kind === "header" && buf.length - result.length >= restLength)) {
        reported = true;
        onConnection({
          result,
          rest: result.kind === "header" ? buf.subarray(result.length) : Buffer.alloc(0),
          socket,
        });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => server.close());
  const address = server.address();
  assert.ok(address && typeof address === "object");
  return address.port;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const address = s.address();
  assert.ok(address && typeof address === "object");
  await new Promise((resolve) => s.close(resolve));
  return address.port;
}

/** Runs haproxy in the foreground on a config made of the given sections; stopped after the test. */
function startHaproxy(t: TestContext, sections: string[]): { stderr: () => string } {
  const dir = mkdtempSync(join(tmpdir(), "weir-pp-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, "haproxy.cfg");
  const defaults = [
    "defaults",
    "  mode tcp",
    "  timeout connect 2s",
    "  timeout client 5s",
    "  timeout server 5s",
  ];
  writeFileSync(config, [...defaults, ...sections, ""].join("\n"));
  const haproxy = spawn("haproxy", ["-db", "-f", config], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  haproxy.stderr.on("data", (d) => {
    stderr += d;
  });
  t.after(() => haproxy.kill());
  return { stderr: () => stderr };
}

/** Connects, retrying while haproxy starts up. */
async function connectWhenUp(port: number, why: () => string): Promise<Socket> {
  for (let attempt = 0; ; attempt++) {
    const client = connect(port, "127.0.0.1");
    const ok = await new Promise<boolean>((resolve) => {
      client.once("connect", () => resolve(true));
      client.once("error", () => resolve(false));
    });
    if (ok) {
      client.on("error", () => {});
      return client;
    }
    assert.ok(attempt < 50, `haproxy did not start listening: ${why()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("curl --haproxy-protocol sends a v1 line we parse, with the HTTP request intact after it", async (t) => {
  if (!needPeer(t, "curl")) return;
  let seen: Received | undefined;
  const port = await headerServer(t, "GET /x HTTP/1.1".length, (r) => {
    seen = r;
    r.socket.end("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
  });
  // Asynchronous: the server answering curl runs in this process.
  const curl = spawn("curl", ["-sS", "--max-time", "5", "--haproxy-protocol", `http://127.0.0.1:${port}/x`]);
  let stderr = "";
  curl.stderr.on("data", (d) => {
    stderr += d;
  });
  const status = await new Promise<number | null>((resolve) => curl.on("close", resolve));
  assert.equal(status, 0, stderr);
  assert.ok(seen);
  const { header, length } = seen.result as Header;
  assert.ok(length > 0);
  assert.equal(header.version, 1);
  assert.equal(header.family, "ipv4");
  assert.equal(header.source?.address, "127.0.0.1");
  assert.ok((header.source?.port ?? 0) > 0);
  assert.deepEqual(header.destination, { address: "127.0.0.1", port });
  assert.ok(seen.rest.toString("latin1").startsWith("GET /x HTTP/1.1"));
});

/**
 * The backend HAProxy forwards to: a header server expecting "hello" after the header, which keeps every
 * result in `received` and wakes the `waiters` on each one.
 */
async function haproxyBackend(t: TestContext) {
  const received: Received[] = [];
  const waiters: (() => void)[] = [];
  const port = await headerServer(t, 5, (r) => {
    received.push(r);
    r.socket.end();
    for (const w of waiters.splice(0)) w();
  });
  return { port, received, waiters };
}

test("HAProxy send-proxy and send-proxy-v2 (TLVs, CRC32C, LOCAL checks) parse as sent", async (t) => {
  if (!needPeer(t, "haproxy")) return;
  const { port: backend, received, waiters } = await haproxyBackend(t);
  const checks: Received[] = [];
  const checked = await headerServer(t, 0, (r) => {
    checks.push(r);
    r.socket.end();
  });
  const v1Port = await freePort();
  const v2Port = await freePort();
  const haproxy = startHaproxy(t, [
    "frontend v1",
    `  bind 127.0.0.1:${v1Port}`,
    "  default_backend v1",
    "frontend v2",
    `  bind 127.0.0.1:${v2Port}`,
    "  unique-id-format weir-%ci-%cp",
    "  default_backend v2",
    "backend v1",
    `  server s 127.0.0.1:${backend} send-proxy`,
    "backend v2",
    `  server s 127.0.0.1:${backend} send-proxy-v2 proxy-v2-options crc32c,unique-id`,
    `  server c 127.0.0.1:${checked} send-proxy-v2 check check-send-proxy inter 100ms weight 0`,
  ]);

  async function send(port: number): Promise<{ local: { address: string; port: number }; header: Header }> {
    const before = received.length;
    const client = await connectWhenUp(port, haproxy.stderr);
    const local = { address: client.localAddress ?? "", port: client.localPort ?? 0 };
    client.end("hello");
    if (received.length === before) await new Promise<void>((resolve) => waiters.push(resolve));
    const r = received[before];
    assert.ok(r);
    assert.equal(r.result.kind, "header", JSON.stringify(r.result));
    assert.equal(r.rest.toString(), "hello");
    return { local, header: r.result as Header };
  }

  const one = await send(v1Port);
  assert.equal(one.header.header.version, 1);
  assert.deepEqual(one.header.header.source, one.local);
  assert.deepEqual(one.header.header.destination, { address: "127.0.0.1", port: v1Port });

  const two = await send(v2Port);
  const h = two.header.header;
  assert.equal(h.version, 2);
  assert.equal(h.command, "proxy");
  assert.equal(h.family, "ipv4");
  assert.equal(h.transport, "stream");
  assert.deepEqual(h.source, two.local);
  assert.deepEqual(h.destination, { address: "127.0.0.1", port: v2Port });
  assert.equal(h.crc32cChecked, true);
  assert.equal(h.uniqueId?.toString(), `weir-127.0.0.1-${two.local.port}`);

  for (let i = 0; i < 50 && checks.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(checks.length > 0, `no health check arrived: ${haproxy.stderr()}`);
  const check = checks[0]!.result as Header;
  assert.equal(check.kind, "header", JSON.stringify(check));
  assert.equal(check.header.version, 2);
  assert.equal(check.header.command, "local");
  assert.equal(check.header.family, "unspec");
});

test("HAProxy accept-proxy takes our v2 headers (IPv4, IPv6, TLVs, CRC32C) and refuses a bad CRC", async (t) => {
  if (!needPeer(t, "haproxy")) return;
  // HAProxy relays the client address it read from our header as a v1 line to this server.
  const { port: backend, received, waiters } = await haproxyBackend(t);
  const front = await freePort();
  const haproxy = startHaproxy(t, [
    "frontend f",
    `  bind 127.0.0.1:${front} accept-proxy`,
    "  default_backend b",
    "backend b",
    `  server s 127.0.0.1:${backend} send-proxy`,
  ]);

  async function relay(header: Buffer): Promise<Header | "closed"> {
    const before = received.length;
    const client = await connectWhenUp(front, haproxy.stderr);
    const closed = new Promise<"closed">((resolve) => client.on("close", () => resolve("closed")));
    client.end(Buffer.concat([header, Buffer.from("hello")]));
    const arrived = new Promise<"arrived">((resolve) => waiters.push(() => resolve("arrived")));
    if ((await Promise.race([arrived, closed])) === "closed") {
      // Give a relayed connection a moment to show up before calling it refused.
      await new Promise((r) => setTimeout(r, 200));
      if (received.length === before) return "closed";
    }
    const r = received[before];
    assert.ok(r);
    assert.equal(r.rest.toString(), "hello");
    return r.result as Header;
  }

  /** relay() for a header HAProxy must accept: the relayed connection's parse result. */
  async function relayAccepted(header: Buffer): Promise<Header> {
    const r = await relay(header);
    assert.ok(r !== "closed", "HAProxy closed a connection whose PROXY header is valid");
    return r;
  }

  const tlvs = { alpn: "h2", authority: "example.com", uniqueId: Buffer.from("id-1") };
  const four = await relayAccepted(
    buildProxyHeaderV2(
      {
        source: { address: "203.0.113.7", port: 4242 },
        destination: { address: "198.51.100.1", port: 443 },
        ...tlvs,
      },
      { crc32c: true },
    ),
  );
  assert.deepEqual(four.header.source, { address: "203.0.113.7", port: 4242 });
  assert.deepEqual(four.header.destination, { address: "198.51.100.1", port: 443 });

  const six = await relayAccepted(
    buildProxyHeaderV2({
      source: { address: "2001:db8::7", port: 1 },
      destination: { address: "2001:db8::1", port: 2 },
    }),
  );
  assert.deepEqual(six.header.source, { address: "2001:db8::7", port: 1 });

  const fromV1 = await relayAccepted(
    buildProxyHeaderV1({
      source: { address: "192.0.2.9", port: 9 },
      destination: { address: "192.0.2.1", port: 1 },
    }),
  );
  assert.deepEqual(fromV1.header.source, { address: "192.0.2.9", port: 9 });

  const bad = buildProxyHeaderV2(
    { source: { address: "203.0.113.8", port: 1 }, destination: { address: "198.51.100.1", port: 2 } },
    { crc32c: true },
  );
  bad[bad.length - 1]! ^= 0xff;
  assert.equal(await relay(bad), "closed");
});
