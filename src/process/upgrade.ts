// Zero-downtime upgrade through `system.upgrade_socket` (a Unix stream socket, mode 0600, owned by the
// supervisor's user). The conversation, new instance → old instance:
//
//   new: connect; check SO_PEERCRED (the old instance is us or root); send "upgrade\n"
//   old: check SO_PEERCRED the same way; send one framed message (4-byte big-endian length + JSON) whose
//        first bytes carry, by SCM_RIGHTS, every listening socket and last the upgrade socket itself
//   new: start its workers on them (binding what the old one lacked); when they serve, send "ready\n"
//   old: stop accepting, drain its workers, exit; it closes its descriptors but unlinks no socket file,
//        since the same inodes are now served by the new instance.
//
// No listening socket is closed during the handoff: both instances hold descriptors of the same kernel
// sockets until the old one exits, so no connection attempt is ever refused.
import { writeSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import type { Logger } from "../observe/log.ts";
import {
  closeFd,
  connectUnix,
  handleFd,
  listenUnix,
  MAX_FDS_PER_MESSAGE,
  peerCredentials,
  recvFds,
  sendFds,
} from "./native.ts";
import type { BoundSocket } from "./sockets.ts";

const REQUEST = "upgrade\n";
const READY = "ready\n";
const PROTOCOL_VERSION = 1;
/** How long the old instance waits for the new one's workers before it gives up on the upgrade. */
const READY_TIMEOUT_MS = 60_000;

interface HandoffPayload {
  version: number;
  pid: number;
  /** One entry per descriptor, in order; the upgrade socket is the last descriptor and not listed. */
  sockets: Omit<BoundSocket, "fd">[];
  upgradeSocket: string;
}

export class UpgradeError extends Error {
  readonly code = "WEIR_UPGRADE";
  constructor(message: string) {
    super(message);
    this.name = "UpgradeError";
  }
}

/** Only our own user (or root) may take our sockets, or hand us theirs. */
function trusted(uid: number): boolean {
  return uid === 0 || uid === process.getuid?.();
}

export interface UpgradeOwner {
  /** The listening sockets to hand over now. */
  sockets(): BoundSocket[];
  /** False while stopping or reloading: an upgrade then is refused. */
  canHandOver(): boolean;
  /** The new instance serves: stop ours, without removing any socket file. */
  handedOver(newPid: number): void;
  log: Logger;
}

/**
 * Listens on the upgrade socket: `fd` is a socket received from an older instance, or undefined to bind
 * `path` (mode 0600; a stale socket file is the caller's to remove first).
 */
export function serveUpgrades(path: string, fd: number | undefined, owner: UpgradeOwner): Promise<Server> {
  const listenFd = fd ?? listenUnix(path, { mode: 0o600 });
  let busy = false;
  const server = createServer((conn) => {
    conn.on("error", () => {});
    let peer: { pid: number; uid: number };
    try {
      peer = peerCredentials(handleFd(conn));
    } catch {
      conn.destroy();
      return;
    }
    if (!trusted(peer.uid)) {
      owner.log.warn(
        { peer_pid: peer.pid, uid: peer.uid },
        "upgrade socket: refused a connection from another user",
      );
      conn.destroy();
      return;
    }
    let input = "";
    conn.setEncoding("utf8");
    conn.on("data", (chunk: string) => {
      input += chunk;
      if (input === REQUEST) {
        if (busy || !owner.canHandOver()) {
          owner.log.warn({ peer_pid: peer.pid }, "upgrade refused: already upgrading, reloading or stopping");
          conn.destroy();
          return;
        }
        busy = true;
        handOver(conn, peer.pid, () => {
          busy = false;
        });
      } else if (input === REQUEST + READY) {
        owner.log.info({ new_pid: peer.pid }, "upgrade: the new instance serves; draining this one");
        server.close();
        owner.handedOver(peer.pid);
        conn.end();
      } else if (input.length > REQUEST.length + READY.length) conn.destroy();
    });
  });

  function handOver(conn: Socket, pid: number, failed: () => void): void {
    const sockets = owner.sockets();
    const payload: HandoffPayload = {
      version: PROTOCOL_VERSION,
      pid: process.pid,
      sockets: sockets.map(({ fd: _fd, ...rest }) => rest),
      upgradeSocket: path,
    };
    const fds = [...sockets.map((s) => s.fd), handleFd(server)];
    if (fds.length > MAX_FDS_PER_MESSAGE) {
      owner.log.error({ sockets: fds.length }, "upgrade refused: too many listening sockets for one message");
      conn.destroy();
      failed();
      return;
    }
    try {
      sendFds(handleFd(conn), fds, frame(payload));
    } catch (err) {
      owner.log.error({ err: (err as Error).message }, "upgrade: could not send the listening sockets");
      conn.destroy();
      failed();
      return;
    }
    owner.log.info(
      { new_pid: pid, sockets: sockets.length },
      "upgrade: listening sockets sent; waiting for the new instance",
    );
    const timer = setTimeout(() => conn.destroy(), READY_TIMEOUT_MS);
    conn.once("close", () => {
      clearTimeout(timer);
      if (server.listening) {
        owner.log.warn({ new_pid: pid }, "upgrade abandoned by the new instance; still serving");
        failed();
      }
    });
  }

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ fd: listenFd }, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}

function frame(payload: HandoffPayload): Buffer {
  const json = Buffer.from(JSON.stringify(payload));
  const out = Buffer.alloc(4 + json.length);
  out.writeUInt32BE(json.length, 0);
  json.copy(out, 4);
  return out;
}

export interface Handoff {
  /** The old instance's supervisor. */
  pid: number;
  sockets: BoundSocket[];
  /** The listening upgrade socket, to serve the next upgrade on. */
  upgradeFd: number;
  upgradePath: string;
  /** Tell the old instance we serve; it drains and exits. */
  confirm(): void;
  /** Give up: the old instance keeps serving; our copies of its sockets are closed. */
  abort(): void;
}

/**
 * The new instance's side: takes the listening sockets of the instance serving `path`. Blocks the event
 * loop while it waits (startup only), at most `timeoutMs` per read. Throws UpgradeError.
 */
export function receiveHandoff(path: string, timeoutMs = 10_000): Handoff {
  let fd: number;
  try {
    fd = connectUnix(path);
  } catch (err) {
    throw new UpgradeError(`no weir instance to upgrade at ${path}: ${(err as Error).message}`);
  }
  const received: number[] = [];
  const fail = (message: string): never => {
    for (const f of received) closeFd(f);
    closeFd(fd);
    throw new UpgradeError(message);
  };
  const peer = peerCredentials(fd);
  if (!trusted(peer.uid)) fail(`${path} is served by uid ${peer.uid}, not by weir's user; refusing it`);
  let payload: HandoffPayload | undefined;
  try {
    writeSync(fd, REQUEST);
    let bytes = Buffer.alloc(0);
    while (bytes.length < 4 || bytes.length < 4 + bytes.readUInt32BE(0)) {
      const message = recvFds(fd, MAX_FDS_PER_MESSAGE, 1 << 20, timeoutMs);
      received.push(...message.fds);
      if (message.payload.length === 0)
        fail("the old instance closed the upgrade connection (busy or stopping?)");
      bytes = Buffer.concat([bytes, message.payload]);
    }
    payload = JSON.parse(bytes.subarray(4, 4 + bytes.readUInt32BE(0)).toString("utf8")) as HandoffPayload;
  } catch (err) {
    if (err instanceof UpgradeError) throw err;
    fail(`upgrade handshake failed: ${(err as Error).message}`);
  }
  const p = payload as HandoffPayload;
  if (p.version !== PROTOCOL_VERSION || received.length !== p.sockets.length + 1) {
    fail(`unexpected handoff from pid ${p.pid}: version ${p.version}, ${received.length} descriptors`);
  }
  const sockets = p.sockets.map((s, i) => ({ ...s, fd: received[i] }));
  return {
    pid: p.pid,
    sockets,
    upgradeFd: received[received.length - 1],
    upgradePath: p.upgradeSocket,
    confirm() {
      try {
        writeSync(fd, READY);
      } finally {
        closeFd(fd);
      }
    },
    abort() {
      for (const f of received) closeFd(f);
      closeFd(fd);
    },
  };
}
