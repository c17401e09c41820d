import assert from "node:assert/strict";
import { createCipheriv, createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import net from "node:net";
import { type TestContext, test } from "node:test";
import { connectUpstream } from "./connect.ts";
import { tickFor } from "./idle-clock.ts";
import { openTunnel, type Tunnel, type TunnelOptions, type TunnelStats } from "./tunnel.ts";

interface Rig {
  /** The client's socket, connected to the proxy. */
  client: net.Socket;
  /** The upstream server's accepted socket. */
  upstream: net.Socket;
  tunnel: Tunnel;
  closed: Promise<TunnelStats>;
}

/**
 * client ──▶ proxy server ══ tunnel ══▶ upstream server, all on 127.0.0.1.
 * Every socket allows half-open connections, as the tunnel requires.
 */
async function rig(t: TestContext, opts: Partial<TunnelOptions> = {}): Promise<Rig> {
  const upstreamServer = net.createServer({ allowHalfOpen: true });
  const proxy = net.createServer({ allowHalfOpen: true });
  t.after(() => {
    upstreamServer.close();
    proxy.close();
  });
  upstreamServer.listen(0, "127.0.0.1");
  proxy.listen(0, "127.0.0.1");
  await Promise.all([once(upstreamServer, "listening"), once(proxy, "listening")]);
  const upstreamPort = (upstreamServer.address() as net.AddressInfo).port;

  const { promise: closed, resolve: resolveClosed } = Promise.withResolvers<TunnelStats>();
  const tunnelReady = once(proxy, "connection").then(async ([downstream]: net.Socket[]) => {
    const up = await connectUpstream({ host: "127.0.0.1", port: upstreamPort }, { timeoutMs: 2000 });
    return openTunnel(downstream!, up, { idleTimeoutMs: 5000, ...opts, onClose: resolveClosed });
  });
  const upstreamAccepted = once(upstreamServer, "connection");
  const client = net.connect({
    port: (proxy.address() as net.AddressInfo).port,
    host: "127.0.0.1",
    allowHalfOpen: true,
  });
  t.after(() => client.destroy());
  const [tunnel, [upstream]] = await Promise.all([tunnelReady, upstreamAccepted]);
  t.after(() => upstream.destroy());
  return { client, upstream, tunnel, closed };
}

/** Resolves with everything a socket received until its peer's FIN. */
function readAll(socket: net.Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on("data", (c: Buffer) => chunks.push(c));
  return once(socket, "end").then(() => Buffer.concat(chunks));
}

/**
 * Resolves when the tunnel's end of this test socket went away: a FIN ('end';
 * the test sockets allow half-open, so they do not close by themselves) or an
 * RST ('error' then 'close'). Reads and drops what arrives so either is noticed.
 */
function peerGone(socket: net.Socket): Promise<string> {
  socket.resume();
  if (socket.readableEnded || socket.destroyed) return Promise.resolve("already");
  return new Promise((resolve) => {
    socket.once("end", () => resolve("end"));
    socket.once("error", () => resolve("error"));
    socket.once("close", () => resolve("close"));
  });
}

test("bytes pass unchanged in both directions at once", async (t) => {
  const { client, upstream, closed } = await rig(t);
  const up = randomBytes(300_000);
  const down = randomBytes(500_000);
  const atUpstream = readAll(upstream);
  const atClient = readAll(client);
  client.end(up);
  upstream.end(down);
  assert.deepEqual(await atUpstream, up);
  assert.deepEqual(await atClient, down);
  const stats = await closed;
  assert.equal(stats.closeReason, "done");
  assert.equal(stats.bytesFromClient, up.length);
  assert.equal(stats.bytesFromUpstream, down.length);
  assert.equal(stats.error, undefined);
});

test("client half-close: upstream sees FIN, client still gets the reply afterwards", async (t) => {
  const { client, upstream, closed } = await rig(t);
  const atUpstream = readAll(upstream);
  const atClient = readAll(client);
  client.end("ping");
  assert.equal((await atUpstream).toString(), "ping");
  // The upstream answers only after it saw the client's FIN.
  assert.equal(client.writableFinished, true);
  upstream.write("pong, ");
  await new Promise((r) => setTimeout(r, 50));
  upstream.end("and more");
  assert.equal((await atClient).toString(), "pong, and more");
  const stats = await closed;
  assert.equal(stats.closeReason, "done");
  assert.equal(stats.firstClosed, "client");
});

test("upstream half-close: client sees FIN, upstream still receives what the client sends", async (t) => {
  const { client, upstream, closed } = await rig(t);
  const atUpstream = readAll(upstream);
  const atClient = readAll(client);
  upstream.end("banner");
  assert.equal((await atClient).toString(), "banner");
  client.write("late ");
  await new Promise((r) => setTimeout(r, 50));
  client.end("data");
  assert.equal((await atUpstream).toString(), "late data");
  const stats = await closed;
  assert.equal(stats.closeReason, "done");
  assert.equal(stats.firstClosed, "upstream");
  assert.equal(stats.bytesFromClient, 9);
  assert.equal(stats.bytesFromUpstream, 6);
});

test("idle timeout destroys both sides after no byte either way", async (t) => {
  const idleTimeoutMs = 200;
  const { client, upstream, closed } = await rig(t, { idleTimeoutMs });
  const started = performance.now();
  // Activity in either direction postpones the timeout.
  for (let i = 0; i < 4; i++) {
    await new Promise((r) => setTimeout(r, 100));
    (i % 2 === 0 ? client : upstream).write("x");
  }
  const lastActivity = performance.now();
  const stats = await closed;
  const idleFor = performance.now() - lastActivity;
  assert.equal(stats.closeReason, "idle_timeout");
  assert.equal(stats.firstClosed, null);
  // Four 100 ms waits, each of which libuv may end up to 1 ms early as performance.now() sees it (its
  // clock has millisecond steps): open for twice the idle timeout proves the activity postponed it.
  assert.ok(lastActivity - started >= 400 - 4, `activity kept it open (${lastActivity - started} ms)`);
  assert.ok(idleFor >= idleTimeoutMs - 5, `closed after ${idleFor} ms idle`);
  assert.ok(idleFor <= idleTimeoutMs + tickFor(idleTimeoutMs) + 150, `closed after ${idleFor} ms idle`);
  await Promise.all([peerGone(client), peerGone(upstream)]);
});

test("an error on the upstream side destroys both", async (t) => {
  const { client, upstream, closed } = await rig(t);
  client.write("hello");
  await once(upstream, "data");
  upstream.resetAndDestroy(); // RST: the tunnel's upstream socket reads ECONNRESET
  const stats = await closed;
  assert.equal(stats.closeReason, "upstream_error");
  assert.equal((stats.error as NodeJS.ErrnoException).code, "ECONNRESET");
  assert.equal(stats.firstClosed, "upstream");
  await peerGone(client);
});

test("an error on the client side destroys both", async (t) => {
  const { client, upstream, closed } = await rig(t);
  upstream.write("hello");
  await once(client, "data");
  client.resetAndDestroy();
  const stats = await closed;
  assert.equal(stats.closeReason, "client_error");
  assert.equal(stats.firstClosed, "client");
  await peerGone(upstream);
});

test("destroy(reason) tears both sides down and reports the reason once", async (t) => {
  const { client, upstream, tunnel, closed } = await rig(t);
  tunnel.destroy("aborted");
  tunnel.destroy("idle_timeout"); // ignored: already closed
  assert.equal(tunnel.closed, true);
  const stats = await closed;
  assert.equal(stats.closeReason, "aborted");
  await Promise.all([peerGone(client), peerGone(upstream)]);
});

test("head bytes reach the upstream before anything else", async (t) => {
  const { client, upstream, closed } = await rig(t, { head: Buffer.from("HEAD|") });
  const atUpstream = readAll(upstream);
  client.end("body");
  assert.equal((await atUpstream).toString(), "HEAD|body");
  upstream.end();
  assert.equal((await closed).bytesFromClient, 9);
});

test("a socket already closed when the tunnel opens: aborted, other side destroyed, onClose later", async (t) => {
  const server = net.createServer({ allowHalfOpen: true }, (s) => s.destroy());
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  t.after(() => server.close());
  const port = (server.address() as net.AddressInfo).port;
  const a = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true });
  const b = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true });
  await Promise.all([once(a, "connect"), once(b, "connect")]);
  a.destroy();
  const seen: { stats?: TunnelStats } = {};
  const tunnel = openTunnel(a, b, { idleTimeoutMs: 0, onClose: (s) => (seen.stats = s) });
  assert.equal(tunnel.closed, false, "onClose must not run before openTunnel returns");
  await new Promise((r) => setImmediate(r));
  assert.equal(seen.stats?.closeReason, "aborted");
  assert.equal(tunnel.closed, true);
  assert.equal(b.destroyed, true);
});

/** A fast deterministic-per-run byte source: AES-CTR keystream over zeros. */
function keystream(chunkBytes: number): () => Buffer {
  const cipher = createCipheriv("aes-128-ctr", randomBytes(16), randomBytes(16));
  const zeros = Buffer.alloc(chunkBytes);
  return () => cipher.update(zeros);
}

/** Writes `total` bytes from `next()` with backpressure, hashing them; resolves with the sha256. */
async function sendHashed(socket: net.Socket, total: number, chunkBytes: number): Promise<string> {
  const next = keystream(chunkBytes);
  const hash = createHash("sha256");
  for (let sent = 0; sent < total; sent += chunkBytes) {
    const chunk = next();
    hash.update(chunk);
    if (!socket.write(chunk)) await once(socket, "drain");
  }
  socket.end();
  return hash.digest("hex");
}

function receiveHashed(socket: net.Socket): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  socket.on("data", (c: Buffer) => {
    bytes += c.length;
    hash.update(c);
  });
  return once(socket, "end").then(() => ({ sha256: hash.digest("hex"), bytes }));
}

test("LARGE: 1 GiB each way through the tunnel arrives intact (sha256)", async (t) => {
  const GiB = 1024 * 1024 * 1024;
  const chunk = 1024 * 1024;
  const { client, upstream, closed } = await rig(t);
  const started = performance.now();
  const [sentUp, sentDown, gotUp, gotDown] = await Promise.all([
    sendHashed(client, GiB, chunk),
    sendHashed(upstream, GiB, chunk),
    receiveHashed(upstream),
    receiveHashed(client),
  ]);
  assert.equal(gotUp.bytes, GiB);
  assert.equal(gotDown.bytes, GiB);
  assert.equal(gotUp.sha256, sentUp);
  assert.equal(gotDown.sha256, sentDown);
  const stats = await closed;
  assert.equal(stats.closeReason, "done");
  assert.equal(stats.bytesFromClient, GiB);
  assert.equal(stats.bytesFromUpstream, GiB);
  t.diagnostic(`2 GiB through the tunnel in ${((performance.now() - started) / 1000).toFixed(1)} s`);
});
