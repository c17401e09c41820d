// Small real peers and clients over loopback.
import { connect, createServer, type NetConnectOpts, type Server, type Socket } from "node:net";

/** Listen on `port` (0: any) and resolve with the server once bound. */
export function listen(server: Server, port = 0, host = "127.0.0.1"): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}

export function portOf(server: Server): number {
  const a = server.address();
  if (!a || typeof a === "string") throw new Error("not a TCP server");
  return a.port;
}

/** An echo server that keeps half-open connections: a client's FIN ends the echo, then the server's side. */
export function echoServer(): Server {
  return createServer({ allowHalfOpen: true }, (s) => {
    s.on("error", () => {});
    s.pipe(s);
  });
}

export function connectTo(opts: { port: number; host?: string } | { path: string }): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ ...opts, allowHalfOpen: true } as NetConnectOpts);
    s.once("connect", () => {
      s.off("error", reject);
      resolve(s);
    });
    s.once("error", reject);
  });
}

/** Everything the socket sends until it ends (or closes). */
export function readAll(s: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    s.on("data", (c: Buffer) => chunks.push(c));
    s.once("end", () => resolve(Buffer.concat(chunks)));
    s.once("close", () => resolve(Buffer.concat(chunks)));
    s.once("error", reject);
  });
}

/** Resolve with the first `n` bytes received. */
export function readBytes(s: Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const onData = (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      if (got >= n) {
        s.off("data", onData);
        resolve(Buffer.concat(chunks).subarray(0, n));
      }
    };
    s.on("data", onData);
    s.once("error", reject);
    s.once("close", () => reject(new Error(`closed after ${got} of ${n} bytes`)));
  });
}

export function closed(s: Socket): Promise<void> {
  return new Promise((resolve) => (s.destroyed && s.closed ? resolve() : s.once("close", () => resolve())));
}
