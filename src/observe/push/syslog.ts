// Syslog as RFC 5424 messages: "<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG", the message being
// the JSON log line. Over UDP one message per datagram (RFC 5426); over TCP each message is framed by
// octet counting, "LEN SP MSG" (RFC 6587 §3.4.1). The TCP connection is opened on demand and dropped on
// any error; a batch that finds no connection fails, and the caller drops and counts it.
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { connect, type Socket } from "node:net";
import { hostname } from "node:os";
import type { LogEntry } from "../log-entry.ts";

/** RFC 5424 §6.2.1 severities, by pino level name. */
const SEVERITY: Readonly<Record<string, number>> = {
  fatal: 2, // critical
  error: 3,
  warn: 4,
  info: 6,
  debug: 7,
  trace: 7,
};

/** Largest UDP message we send; longer lines are cut (RFC 5426 §3.2 allows truncation). */
const MAX_UDP_MESSAGE = 8192;

export interface SyslogFormat {
  facility: number;
  hostname?: string;
  appName?: string;
}

/** PRINTUSASCII without spaces, at most `max` characters, "-" when empty (RFC 5424 §6). */
function headerField(value: string, max: number): string {
  const clean = value.replace(/[^\x21-\x7e]/g, "").slice(0, max);
  return clean === "" ? "-" : clean;
}

export function formatSyslog(entry: LogEntry, format: SyslogFormat): string {
  const pri = format.facility * 8 + (SEVERITY[entry.levelName] ?? 6);
  const host = headerField(format.hostname ?? hostname(), 255);
  const app = headerField(format.appName ?? "weir", 48);
  const pid = headerField(String(entry.record.pid ?? process.pid), 128);
  const msgId = headerField(String(entry.record.role ?? entry.record.log ?? "-"), 32);
  return `<${pri}>1 ${new Date(entry.time).toISOString()} ${host} ${app} ${pid} ${msgId} - ${entry.line}`;
}

export interface SyslogTransport {
  send(messages: readonly string[]): Promise<void>;
  close(): void;
}

/** "udp://host:port" or "tcp://host:port" (validated by the schema). */
export function syslogTransport(url: string, timeoutMs: number): SyslogTransport {
  const m = /^(udp|tcp):\/\/\[?([^\]]+?)\]?:(\d+)$/.exec(url);
  if (m === null) throw new Error(`not a syslog URL: ${url}`);
  const host = m[2] as string;
  const port = Number(m[3]);
  return m[1] === "udp" ? udpTransport(host, port) : tcpTransport(host, port, timeoutMs);
}

function udpTransport(host: string, port: number): SyslogTransport {
  let socket: UdpSocket | undefined;
  const open = (): UdpSocket => {
    if (socket !== undefined) return socket;
    const s = createSocket(host.includes(":") ? "udp6" : "udp4");
    s.on("error", () => {}); // ICMP port unreachable and the like: the sends report their own failure
    s.unref();
    socket = s;
    return s;
  };
  return {
    async send(messages) {
      const s = open();
      await Promise.all(
        messages.map(
          (msg) =>
            new Promise<void>((resolve, reject) => {
              const bytes = Buffer.from(msg).subarray(0, MAX_UDP_MESSAGE);
              s.send(bytes, port, host, (err) => (err ? reject(err) : resolve()));
            }),
        ),
      );
    },
    close() {
      socket?.close();
      socket = undefined;
    },
  };
}

function tcpTransport(host: string, port: number, timeoutMs: number): SyslogTransport {
  let socket: Socket | undefined;
  let connecting: Promise<Socket> | undefined;
  const drop = (s: Socket) => {
    if (socket === s) socket = undefined;
    s.destroy();
  };
  const open = (): Promise<Socket> => {
    if (socket !== undefined && !socket.destroyed) return Promise.resolve(socket);
    connecting ??= new Promise<Socket>((resolve, reject) => {
      const s = connect({ host, port });
      const timer = setTimeout(() => s.destroy(new Error("syslog connect timed out")), timeoutMs);
      s.once("connect", () => {
        clearTimeout(timer);
        s.setNoDelay(true);
        s.unref();
        socket = s;
        resolve(s);
      });
      s.on("error", (err) => {
        clearTimeout(timer);
        drop(s);
        reject(err);
      });
      s.on("close", () => drop(s));
      s.on("data", () => {}); // a collector has nothing to say; read and discard
    }).finally(() => {
      connecting = undefined;
    });
    return connecting;
  };
  return {
    async send(messages) {
      const s = await open();
      const framed = messages.map((msg) => {
        const bytes = Buffer.from(msg);
        return Buffer.concat([Buffer.from(`${bytes.length} `), bytes]);
      });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          drop(s);
          reject(new Error("syslog write timed out"));
        }, timeoutMs);
        s.write(Buffer.concat(framed), (err) => {
          clearTimeout(timer);
          if (err) reject(err);
          else resolve();
        });
      });
    },
    close() {
      if (socket !== undefined) socket.end();
      socket = undefined;
    },
  };
}
