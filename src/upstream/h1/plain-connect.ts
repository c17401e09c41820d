// Plain TCP connections for the HTTP/1.1 client, read into one reused buffer per connection (net's
// `onread`) instead of a new 64 KiB ArrayBuffer per read: under load those allocations were a steady
// source of garbage-collection work (src/tunnel/fixed-reads.ts found the same for raw TCP). The
// connection parses heads straight from the buffer and copies out only body bytes, which must outlive
// the read. TLS and PROXY-header connections keep undici's connectors and ordinary 'data' events.
import { connect, type Socket } from "node:net";
import { HttpError } from "../../http/errors.ts";

/** Bytes one read can take; larger responses arrive over several reads. */
const READ_BUFFER_BYTES = 16 * 1024;

/** Where a connection's reads go once it is set up (the socket exists before its reader does). */
export interface ReusedReads {
  /** `view` is valid only during the call: the next read overwrites it. */
  onRead: (view: Buffer) => void;
}

export interface PlainConnectOptions {
  host: string;
  port: number;
  timeoutMs: number;
}

/** Opens a TCP connection; `reads.onRead` sees every read. The error of a failed connect is as net's. */
export function connectPlain(
  opts: PlainConnectOptions,
  reads: ReusedReads,
  done: (err: Error | null, socket: Socket | null) => void,
): void {
  const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  const socket = connect({
    host: opts.host,
    port: opts.port,
    noDelay: true,
    keepAlive: true,
    keepAliveInitialDelay: 60_000,
    onread: {
      buffer,
      callback: (nread: number, buf: Uint8Array): boolean => {
        reads.onRead((buf as Buffer).subarray(0, nread));
        return true;
      },
    },
  });
  let settled = false;
  const timer =
    opts.timeoutMs > 0
      ? setTimeout(() => {
          settled = true;
          socket.destroy();
          done(new HttpError("CONNECT_TIMEOUT"), null);
        }, opts.timeoutMs)
      : undefined;
  socket.once("connect", () => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    socket.off("error", onConnectError);
    done(null, socket);
  });
  const onConnectError = (err: Error): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    socket.destroy();
    done(err, null);
  };
  socket.once("error", onConnectError);
}
