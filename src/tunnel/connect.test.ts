import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { ConnectTimeoutError, connectUpstream } from "./connect.ts";

async function listen(t: TestContext, server: net.Server, where: net.ListenOptions): Promise<net.Server> {
  server.listen(where);
  await once(server, "listening");
  t.after(() => server.close());
  return server;
}

test("connects over TCP with half-open allowed and Nagle off", async (t) => {
  const server = await listen(
    t,
    net.createServer((s) => s.end("hi")),
    { port: 0, host: "127.0.0.1" },
  );
  const port = (server.address() as net.AddressInfo).port;
  const socket = await connectUpstream({ host: "127.0.0.1", port }, { timeoutMs: 1000 });
  t.after(() => socket.destroy());
  assert.equal(socket.allowHalfOpen, true);
  assert.equal(socket.remotePort, port);
  const [data] = await once(socket, "data");
  assert.equal(data.toString(), "hi");
});

test("connects over a Unix socket", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "weir-connect-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "up.sock");
  await listen(
    t,
    net.createServer((s) => s.end("unix")),
    { path },
  );
  const socket = await connectUpstream({ path }, { timeoutMs: 1000 });
  t.after(() => socket.destroy());
  assert.equal(socket.allowHalfOpen, true);
  const [data] = await once(socket, "data");
  assert.equal(data.toString(), "unix");
});

test("a refused connection rejects with the socket error ECONNREFUSED", async (t) => {
  // Bind a port, then free it: nothing listens there now.
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as net.AddressInfo).port;
  server.close();
  await once(server, "close");
  await assert.rejects(connectUpstream({ host: "127.0.0.1", port }, { timeoutMs: 1000 }), {
    code: "ECONNREFUSED",
  });
  t.diagnostic(`refused on freed port ${port}`);
});

test("a missing Unix socket rejects with ENOENT", async () => {
  await assert.rejects(
    connectUpstream({ path: join(tmpdir(), `weir-missing-${process.pid}.sock`) }, { timeoutMs: 1000 }),
    { code: "ENOENT" },
  );
});

/**
 * A loopback listener whose handshakes never complete: a child process listens
 * with the smallest backlog and then blocks its event loop, so it never
 * accepts. Once the accept queue is full, Linux drops further SYNs
 * (tcp_conn_request: "listen overflow"), and a new connect hangs in SYN
 * retransmission, which is what an unreachable upstream looks like. Returns
 * the port after filling the queue.
 */
async function neverAcceptingPort(t: TestContext): Promise<number> {
  const child = spawn(
    process.execPath,
    [
      "-e",
      `const s = require("node:net").createServer();
       s.listen(0, "127.0.0.1", 1, () => { // backlog 0 would mean 511 to Node
         process.stdout.write(s.address().port + "\\n");
         Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); // block forever
       });`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  t.after(() => child.kill("SIGKILL"));
  const [line] = await once(child.stdout, "data");
  const port = Number(String(line).trim());
  const fillers: net.Socket[] = [];
  t.after(() => {
    for (const f of fillers) f.destroy();
  });
  // Fill the accept queue: connect until one attempt does not complete quickly.
  for (let i = 0; i < 64; i++) {
    const filler = net.connect({ port, host: "127.0.0.1" });
    filler.on("error", () => {});
    fillers.push(filler);
    const connected = await Promise.race([
      once(filler, "connect").then(() => true),
      new Promise((r) => setTimeout(r, 300, false)),
    ]);
    if (!connected) return port;
  }
  throw new Error("could not saturate the listen backlog");
}

test("connect timeout rejects with WEIR_CONNECT_TIMEOUT when the handshake never completes", async (t) => {
  const port = await neverAcceptingPort(t);
  const started = performance.now();
  const err = await connectUpstream({ host: "127.0.0.1", port }, { timeoutMs: 150 }).then(
    () => assert.fail("connected to a saturated listener"),
    (e: unknown) => e,
  );
  const elapsed = performance.now() - started;
  assert.ok(err instanceof ConnectTimeoutError);
  assert.equal(err.code, "WEIR_CONNECT_TIMEOUT");
  assert.equal(err.timeoutMs, 150);
  assert.ok(elapsed >= 145 && elapsed < 1000, `rejected after ${elapsed} ms`);

  // The abort signal wins the same way, with its own reason.
  const controller = new AbortController();
  const pending = connectUpstream(
    { host: "127.0.0.1", port },
    { timeoutMs: 5000, signal: controller.signal },
  );
  setTimeout(() => controller.abort(new Error("shutting down")), 50);
  await assert.rejects(pending, { message: "shutting down" });
});

test("an already aborted signal rejects without connecting", async () => {
  const controller = new AbortController();
  controller.abort(new Error("gone"));
  await assert.rejects(
    connectUpstream({ host: "127.0.0.1", port: 9 }, { timeoutMs: 1000, signal: controller.signal }),
    { message: "gone" },
  );
});
