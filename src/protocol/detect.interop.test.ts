// detectProtocol on the first bytes of real clients: Node's http, http2 and tls.

import assert from "node:assert/strict";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { type TestContext, test } from "node:test";
import tls from "node:tls";
import { type DetectedProtocol, detectProtocol } from "./detect.ts";

/** Accepts one connection on 127.0.0.1 port 0, started by `connect`, and detects its first bytes. */
async function detectFirstBytes(t: TestContext, connect: (port: number) => void): Promise<DetectedProtocol> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer();
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const detected = new Promise<DetectedProtocol>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no decision within 5 s")), 5000);
    server.on("connection", (socket) => {
      sockets.add(socket);
      socket.on("error", () => {});
      let received = Buffer.alloc(0);
      socket.on("data", (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        const answer = detectProtocol(received);
        if (answer === "incomplete") return;
        clearTimeout(timer);
        socket.destroy();
        resolve(answer);
      });
    });
  });
  connect((server.address() as net.AddressInfo).port);
  return detected;
}

test("Node's http.request is http1", async (t) => {
  const answer = await detectFirstBytes(t, (port) => {
    const request = http.request({ host: "127.0.0.1", port, method: "OPTIONS", path: "*" });
    request.on("error", () => {});
    request.end();
    t.after(() => request.destroy());
  });
  assert.equal(answer, "http1");
});

test("Node's http2.connect (prior knowledge) is http2", async (t) => {
  const answer = await detectFirstBytes(t, (port) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", () => {});
    t.after(() => session.destroy());
  });
  assert.equal(answer, "http2");
});

test("Node's tls.connect is tls", async (t) => {
  const answer = await detectFirstBytes(t, (port) => {
    const socket = tls.connect({ host: "127.0.0.1", port, servername: "example.com" });
    socket.on("error", () => {});
    t.after(() => socket.destroy());
  });
  assert.equal(answer, "tls");
});
