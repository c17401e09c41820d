/**
 * Tunnel sockets that read into one reused buffer per direction instead of a fresh buffer per read.
 *
 * Why: a Node socket allocates a new 64 KiB ArrayBuffer for every read. At 10 Gbit/s that is some
 * 20,000 external allocations a second, and V8 answers external memory growth with full
 * mark-compacts, whose cost grows with the heap. A tunnel in a bare script hardly notices; in a weir
 * worker, whose heap holds the config schema, the HTTP engine and the metrics registry, the same
 * tunnel spent 0.40 user CPU s/GiB instead of 0.06 with reused buffers, and moved 30 % fewer bytes
 * (iperf3 through one worker pinned to one core, `npm run bench -- tcp` measures the whole proxy).
 *
 * How: Node reads into a caller's buffer only for a socket constructed with `onread`, and a socket
 * accepted by net.Server cannot be given one. So an adoptable socket is re-opened over a duplicate of
 * its descriptor (`dupFd`) with `onread`. The original stops reading and stays open, untouched, so
 * that whoever accounts for the connection by its 'close' (listener gauges, per-client limits) sees
 * it close when the tunnel does: `releaseOriginal` destroys it then. Destroying the original first
 * (graceful shutdown) destroys the adopted socket too.
 *
 * A buffer is reused only when the write of the previous read's bytes completed synchronously
 * (`writableLength === 0` after `write()`: the kernel has them). Otherwise the pending write holds
 * it, and the next read gets a new buffer. Memory: two buffers per tunnel while it lives, as nginx's
 * and HAProxy's per-connection buffers.
 */

import { Socket } from "node:net";
import { dupFd, handleFd } from "../process/native.ts";

/** Bytes per read buffer. 32 KiB moved the most bytes per CPU second on loopback (16 KiB: -25 %). */
export const READ_BUFFER_SIZE = 32 * 1024;

export interface AdoptedSocket {
  /** The socket to use from now on: same connection, reads land in a reused buffer. */
  readonly socket: Socket;
  /** Bytes the original had already read but nobody consumed; they come before anything `socket` reads. */
  readonly buffered: Buffer | null;
  /** Destroys the original socket (closing its descriptor); call once the tunnel is done. */
  releaseOriginal(): void;
}

interface StreamHandle {
  fd?: number;
  reading?: boolean;
  readStop?(): number;
}

function handleOf(socket: Socket): StreamHandle | undefined {
  return (socket as unknown as { _handle?: StreamHandle | null })._handle ?? undefined;
}

/**
 * A plain TCP or Unix net.Socket, connected, open both ways for reading, with nothing queued to
 * write (queued bytes would race the new socket's). Not TLS (the bytes are ciphertext below the
 * TLS layer), not an HTTP/2 stream (no descriptor of its own).
 */
function adoptable(socket: Socket): boolean {
  if (Object.getPrototypeOf(socket) !== Socket.prototype) return false;
  if (socket.destroyed || socket.connecting || socket.writableLength !== 0) return false;
  const handle = handleOf(socket);
  return typeof handle?.fd === "number" && handle.fd >= 0 && typeof handle.readStop === "function";
}

/**
 * Re-opens `original` to read into reused buffers; each read's bytes go to `deliver` (which writes
 * them on), then the buffer is reused unless `destination()` still holds bytes queued. Returns null
 * when the socket is not adoptable or the descriptor cannot be duplicated: the caller keeps using the
 * original with 'data' events, which is correct, only slower.
 */
export function adoptForFixedReads(
  original: Socket,
  deliver: (chunk: Buffer) => void,
  destination: () => Socket,
): AdoptedSocket | null {
  if (!adoptable(original)) return null;
  let fd: number;
  try {
    fd = dupFd(handleFd(original));
  } catch {
    return null;
  }

  // Its read side is left alone from here: a FIN it already saw must not make it end the write side.
  original.allowHalfOpen = true;
  // No I/O will refresh an inactivity timeout armed on it (node:http's keep-alive one, say): the
  // tunnel's idle clock watches the connection now.
  original.setTimeout(0);
  // Take what the original already buffered, then stop it for good: nothing may read this
  // connection but the new socket. All synchronous, so libuv cannot read in between.
  const buffered = original.readableLength > 0 ? (original.read() as Buffer | null) : null;
  const handle = handleOf(original);
  if (handle?.reading) {
    handle.reading = false;
    handle.readStop?.();
  }
  (original as unknown as { _read: () => void })._read = () => {};

  let buffer: Buffer | undefined;
  const socket = new Socket({
    fd,
    allowHalfOpen: true,
    readable: true,
    writable: true,
    onread: {
      buffer: () => {
        buffer ??= Buffer.allocUnsafeSlow(READ_BUFFER_SIZE);
        return buffer;
      },
      callback: (bytes: number, into: Uint8Array): boolean => {
        deliver((into as Buffer).subarray(0, bytes));
        if (destination().writableLength !== 0) buffer = undefined;
        return true;
      },
    },
  });
  const onOriginalClose = (): void => {
    socket.destroy();
  };
  original.once("close", onOriginalClose);
  return {
    socket,
    buffered: buffered !== null && buffered.length > 0 ? buffered : null,
    releaseOriginal() {
      original.off("close", onOriginalClose);
      original.destroy();
    },
  };
}
