// One DNS request and its answer over UDP (RFC 1035 §4.2.1; retried twice, matched by ID and source)
// or TCP (§4.2.2: two-byte length prefix). A UDP answer with TC set is asked again over TCP.
import { createSocket } from "node:dgram";
import { connect, isIPv6 } from "node:net";

export class DnsExchangeError extends Error {
  readonly code = "DNS_EXCHANGE";
}

export interface Server {
  host: string;
  port: number;
}

export function parseServer(hostPort: string): Server {
  const colon = hostPort.lastIndexOf(":");
  return { host: hostPort.slice(0, colon).replace(/^\[|\]$/g, ""), port: Number(hostPort.slice(colon + 1)) };
}

/** Sends `message`, resolves with the answer of the same ID. Rejects with DnsExchangeError. */
export async function exchange(
  server: Server,
  message: Buffer,
  transport: "udp" | "tcp",
  timeoutMs = 3_000,
): Promise<Buffer> {
  if (transport === "tcp") return overTcp(server, message, timeoutMs * 2);
  let answer: Buffer | undefined;
  for (let attempt = 0; attempt < 3 && answer === undefined; attempt++) {
    answer = await overUdp(server, message, timeoutMs);
  }
  if (answer === undefined)
    throw new DnsExchangeError(`no answer from ${server.host}:${server.port} over UDP`);
  if ((answer.readUInt16BE(2) & 0x0200) !== 0) return overTcp(server, message, timeoutMs * 2);
  return answer;
}

function overUdp(server: Server, message: Buffer, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket(isIPv6(server.host) ? "udp6" : "udp4");
    const id = message.readUInt16BE(0);
    const finish = (answer: Buffer | undefined) => {
      clearTimeout(timer);
      socket.close();
      resolve(answer);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    socket.on("error", () => finish(undefined));
    socket.on("message", (msg, from) => {
      if (msg.length >= 12 && msg.readUInt16BE(0) === id && from.port === server.port) finish(msg);
    });
    socket.send(message, server.port, server.host);
  });
}

function overTcp(server: Server, message: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: server.host, port: server.port });
    let received = Buffer.alloc(0);
    const fail = (why: string) => {
      socket.destroy();
      reject(new DnsExchangeError(`${server.host}:${server.port} over TCP: ${why}`));
    };
    socket.setTimeout(timeoutMs, () => fail("timed out"));
    socket.on("error", (err) => fail(err.message));
    socket.on("connect", () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(message.length);
      socket.write(Buffer.concat([len, message]));
    });
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) {
        socket.end();
        resolve(received.subarray(2, 2 + received.readUInt16BE(0)));
      }
    });
    socket.on("end", () => fail("closed before a whole answer"));
  });
}
