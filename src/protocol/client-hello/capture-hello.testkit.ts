// Test support: captures the first bytes a real TLS client sends, with a plain TCP server on 127.0.0.1
// port 0 that reads until a complete ClientHello (or an error) is in hand and then drops the connection.

import { spawnSync } from "node:child_process";
import net from "node:net";
import type { TestContext } from "node:test";
import tls from "node:tls";
import { parseClientHello } from "./parse.ts";

const CAPTURE_TIMEOUT_MS = 5000;

/**
 * Starts a capture server, lets `connect` start a client against its port, and resolves with the bytes
 * received up to the end of the ClientHello records (plus whatever arrived in the same reads).
 */
export async function captureHello(t: TestContext, connect: (port: number) => void): Promise<Buffer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer();
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;

  const captured = new Promise<Buffer>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no ClientHello within 5 s")), CAPTURE_TIMEOUT_MS);
    server.on("connection", (socket) => {
      sockets.add(socket);
      let received = Buffer.alloc(0);
      socket.on("error", () => {});
      socket.on("data", (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        if (parseClientHello(received).kind === "incomplete") return;
        clearTimeout(timer);
        socket.destroy();
        resolve(received);
      });
    });
  });
  connect(port);
  return captured;
}

/** True when `program` runs; otherwise skips the test, or fails it on CI where the peer must exist. */
export function requireProgram(t: TestContext, program: string, args: string[]): boolean {
  const probe = spawnSync(program, args, { stdio: "ignore" });
  if (probe.error === undefined && probe.status === 0) return true;
  if (process.env.CI === "true") throw new Error(`${program} is required on CI but cannot run`);
  t.skip(`${program} is not installed`);
  return false;
}

/** Captures the ClientHello of Node's own tls.connect with the given options. */
export function captureNodeHello(t: TestContext, options: tls.ConnectionOptions): Promise<Buffer> {
  return captureHello(t, (port) => {
    const socket = tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false, ...options });
    socket.on("error", () => {});
    t.after(() => socket.destroy());
  });
}
