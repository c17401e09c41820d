// The socket syscalls Node's net module cannot express, from weir's native addon (native/weir_native.c).
//
// - The supervisor binds listeners with listenTcp/listenUnix and hands the raw descriptors to workers
//   (child_process.fork's `stdio` array; the worker calls `net.createServer().listen({ fd })`). No libuv
//   handle ever polls them in the supervisor, so it never accepts a connection.
// - A zero-downtime upgrade: the new instance connectUnix()es to the old one's upgrade socket, checks
//   nothing but weir's own user sits behind it (peerCredentials), and receives every listening
//   descriptor with recvFds; the old instance sends them with sendFds on the socket its net.Server
//   accepted (see handleFd).
// - Transparent proxying reads the pre-NAT destination of an accepted socket with originalDst.
//
// Every call is synchronous and meant for startup or once per connection. Failures throw an Error shaped
// like Node's own: `code` is the errno name ("EADDRINUSE", "EACCES", ...), `errno` its negated number,
// `syscall` the call that failed. A missing addon throws code "WEIR_NATIVE_MISSING" on first use, so that
// importing this module never fails on its own.

import { createRequire } from "node:module";

export interface ListenTcpOptions {
  /** listen(2) backlog; the kernel caps it at net.core.somaxconn. Default 511, as Node and nginx. */
  backlog?: number;
  /**
   * IPV6_V6ONLY for IPv6 addresses. Default true, except for host "" (see listenTcp): `[::]:80` then
   * takes IPv6 only and `0.0.0.0:80` can be bound beside it, as nginx does by default.
   */
  ipv6Only?: boolean;
  /** SO_REUSEPORT: several sockets on one address, the kernel spreads connections among them. */
  reusePort?: boolean;
  /** IP_FREEBIND: bind an address that is not (yet) configured on this host. */
  freebind?: boolean;
}

export interface ListenUnixOptions {
  /** listen(2) backlog. Default 511. */
  backlog?: number;
  /** File mode set on the socket before it listens, e.g. 0o660; default: whatever the umask leaves. */
  mode?: number;
}

export interface ReceivedFds {
  fds: number[];
  /** The bytes of one read; empty means the peer closed the connection. */
  payload: Buffer;
}

export interface OriginalDestination {
  address: string;
  port: number;
  family: 4 | 6;
}

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

/** An error thrown by this module: Node's shape for system errors, plus weir's own codes. */
export type NativeError = Error & {
  code: string;
  errno?: number;
  syscall?: string;
  address?: string;
  port?: number;
};

interface Binding {
  listenTcp(host: string, port: number, backlog: number, flags: number): number;
  localPort(fd: number): number;
  listenUnix(path: string, backlog: number, mode: number): number;
  connectUnix(path: string): number;
  closeFd(fd: number): void;
  dupFd(fd: number): number;
  sendFds(socketFd: number, fds: number[], payload: Buffer): void;
  recvFds(socketFd: number, maxFds: number, maxBytes: number, timeoutMs: number): ReceivedFds;
  originalDst(fd: number): OriginalDestination | null;
  peerCredentials(fd: number): PeerCredentials;
}

const ADDON_PATH = "../../native/build/Release/weir_native.node";
const DEFAULT_BACKLOG = 511;
/** SCM_MAX_FD in the Linux kernel: the most descriptors one message may carry. */
export const MAX_FDS_PER_MESSAGE = 253;
const MAX_RECV_BYTES = 1 << 20;
const INT32_MAX = 0x7fffffff;
// Bits of listenTcp's flags argument, as in native/weir_native.c.
const FLAG_IPV6_ONLY = 1;
const FLAG_REUSE_PORT = 2;
const FLAG_FREEBIND = 4;

let binding: Binding | undefined;

/** Loads the addon now; throws a WEIR_NATIVE_MISSING error telling the user how to build it. */
export function loadNative(): void {
  addon();
}

function addon(): Binding {
  if (binding !== undefined) return binding;
  const require = createRequire(import.meta.url);
  try {
    binding = require(ADDON_PATH) as Binding;
    return binding;
  } catch (cause) {
    const path = new URL(ADDON_PATH, import.meta.url).pathname;
    const error = new Error(
      `weir's native addon could not be loaded from ${path} (${(cause as Error).message}). ` +
        "It is built when weir is installed: run `npm install` in weir's folder with python3, g++ and make " +
        "installed (e.g. `apt-get install python3 g++ make`).",
      { cause },
    ) as NativeError;
    error.code = "WEIR_NATIVE_MISSING";
    throw error;
  }
}

function argumentError(name: string, value: unknown, expected: string): NativeError {
  const error = new RangeError(`${name} must be ${expected}, got ${String(value)}`) as NativeError;
  error.code = "ERR_OUT_OF_RANGE";
  return error;
}

function checkInt(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw argumentError(name, value, `an integer in ${min}..${max}`);
  }
  return value;
}

/** A filesystem path: a NUL would silently shorten it, or turn it into a Linux abstract socket name. */
function checkPath(path: string): void {
  if (path === "" || path.includes("\0"))
    throw argumentError("path", JSON.stringify(path), "a non-empty path without NUL");
}

const checkFd = (name: string, fd: number): number => checkInt(name, fd, 0, INT32_MAX);

/**
 * Binds and listens on a TCP socket; returns its descriptor, close-on-exec, blocking (a worker's
 * `listen({ fd })` makes it non-blocking). `host` is a numeric address: "127.0.0.1", "::1", "[::1]",
 * "fe80::1%eth0". "" means every address of both families: one dual-stack "::" socket (ipv6Only
 * defaults to false), or "0.0.0.0" where the host has no IPv6. SO_REUSEADDR is always set. Port 0
 * lets the kernel choose; localPort() tells which.
 */
export function listenTcp(host: string, port: number, opts: ListenTcpOptions = {}): number {
  checkInt("port", port, 0, 65535);
  const backlog = checkInt("backlog", opts.backlog ?? DEFAULT_BACKLOG, 0, INT32_MAX);
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  const ipv6Only = opts.ipv6Only ?? bare !== "";
  const flags =
    (ipv6Only ? FLAG_IPV6_ONLY : 0) |
    (opts.reusePort ? FLAG_REUSE_PORT : 0) |
    (opts.freebind ? FLAG_FREEBIND : 0);
  try {
    return addon().listenTcp(bare === "" ? "::" : bare, port, backlog, flags);
  } catch (error) {
    const e = error as NativeError;
    if (bare === "" && e.code === "EAFNOSUPPORT") return addon().listenTcp("0.0.0.0", port, backlog, flags);
    if (e.syscall !== undefined) Object.assign(e, { address: bare === "" ? "::" : bare, port });
    throw e;
  }
}

/** The local port of a bound socket (getsockname(2)): the one the kernel chose for port 0. */
export function localPort(fd: number): number {
  return addon().localPort(checkFd("fd", fd));
}

/**
 * Binds and listens on a Unix stream socket at `path`, chmod()ing it to `mode` before listen(2), so no
 * client connects under a wider mode. A file already at `path` fails with EADDRINUSE: removing a stale
 * socket is the caller's decision, this never unlinks.
 */
export function listenUnix(path: string, opts: ListenUnixOptions = {}): number {
  checkPath(path);
  const backlog = checkInt("backlog", opts.backlog ?? DEFAULT_BACKLOG, 0, INT32_MAX);
  const mode = opts.mode === undefined ? -1 : checkInt("mode", opts.mode, 0, 0o7777);
  return addon().listenUnix(path, backlog, mode);
}

/** Connects a blocking, close-on-exec Unix stream socket to `path` (e.g. the old instance's upgrade socket). */
export function connectUnix(path: string): number {
  checkPath(path);
  return addon().connectUnix(path);
}

/** Closes a descriptor this module returned (or received) and nothing else owns. */
/**
 * A second descriptor for the same open socket (close-on-exec). The connection stays open until both
 * are closed; shutdown(2) through either one half-closes it for both.
 */
export function dupFd(fd: number): number {
  return addon().dupFd(checkFd("fd", fd));
}

export function closeFd(fd: number): void {
  addon().closeFd(checkFd("fd", fd));
}

/**
 * Sends `payload` (at least one byte: a stream socket carries descriptors only along with data) and
 * duplicates of `fds` (SCM_RIGHTS) over a connected Unix stream socket. The whole payload is written
 * before this returns; on a full socket it waits up to one second, then throws ETIMEDOUT, after which
 * part of the payload (and the descriptors) may have gone: the connection is then only fit to close.
 */
export function sendFds(socketFd: number, fds: number[], payload: Buffer): void {
  checkFd("socketFd", socketFd);
  if (fds.length > MAX_FDS_PER_MESSAGE)
    throw argumentError("fds.length", fds.length, `<= ${MAX_FDS_PER_MESSAGE}`);
  for (const fd of fds) checkFd("fds[]", fd);
  if (payload.length === 0) throw argumentError("payload.length", 0, "at least 1");
  addon().sendFds(socketFd, fds, payload);
}

/**
 * Receives one message from a connected Unix stream socket: up to `maxBytes` bytes and the descriptors
 * that came with them (close-on-exec), waiting up to `timeoutMs` (then ETIMEDOUT). It blocks the event
 * loop meanwhile, which is why it is for startup only. A stream has no message boundaries: the caller
 * frames its payload. More descriptors than `maxFds` throws EMSGSIZE (the kernel dropped the rest; the
 * ones received are closed).
 */
export function recvFds(socketFd: number, maxFds: number, maxBytes: number, timeoutMs: number): ReceivedFds {
  checkFd("socketFd", socketFd);
  checkInt("maxFds", maxFds, 0, MAX_FDS_PER_MESSAGE);
  checkInt("maxBytes", maxBytes, 1, MAX_RECV_BYTES);
  checkInt("timeoutMs", timeoutMs, 0, INT32_MAX);
  return addon().recvFds(socketFd, maxFds, maxBytes, timeoutMs);
}

/**
 * The destination a client dialled before a netfilter REDIRECT or DNAT sent its connection here
 * (SO_ORIGINAL_DST, IP6T_SO_ORIGINAL_DST). Null when conntrack knows nothing of it (not loaded, or no
 * entry). Where conntrack tracks a connection that was not rewritten, this is the socket's own local
 * address: compare with it to tell.
 */
export function originalDst(fd: number): OriginalDestination | null {
  return addon().originalDst(checkFd("fd", fd));
}

/** Who connected to a Unix socket: the peer's pid, uid and gid when it called connect(2) (SO_PEERCRED). */
export function peerCredentials(fd: number): PeerCredentials {
  return addon().peerCredentials(checkFd("fd", fd));
}

/**
 * The descriptor under a connected net.Socket or listening net.Server, for sendFds/peerCredentials/
 * originalDst. Node has no public API for it; `_handle.fd` has been stable on Unix for a decade. The
 * descriptor stays owned by Node: never close it, and call sendFds only when nothing is queued
 * (`socket.writableLength === 0`), or the bytes would overtake Node's.
 */
export function handleFd(socket: object): number {
  const fd = (socket as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd === "number" && fd >= 0) return fd;
  const error = new Error(
    "socket has no file descriptor (not connected, closed, or not on Unix)",
  ) as NativeError;
  error.code = "WEIR_NO_FD";
  throw error;
}
