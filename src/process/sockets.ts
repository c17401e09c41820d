// The supervisor's listening sockets, keyed by address, so a reload keeps every socket whose address did
// not change (same descriptor, same kernel queue: no connection refused) and binds only new addresses.
// The supervisor holds raw descriptors (native listenTcp/listenUnix): nothing in its event loop polls
// them, so it never accepts a connection; the workers get duplicates.
import { unlinkSync } from "node:fs";
import type { Config } from "../config/schema/index.ts";
import { parseListenAddress } from "../listener/address.ts";
import { removeStaleSocket } from "../listener/bind.ts";
import { closeFd, listenTcp, listenUnix, localPort } from "./native.ts";
import { ListenError } from "./serve.ts";

export interface BoundSocket {
  /** Canonical address: "127.0.0.1:80", "[::1]:80", "unix:/run/weir.sock". */
  key: string;
  fd: number;
  /** The kernel's port for TCP (the chosen one when the config said 0). */
  port?: number;
  path?: string;
}

/** A listener's address as the key its socket is kept under. */
export function socketKey(address: string): string {
  const a = parseListenAddress(address);
  if (a.kind === "unix") return `unix:${a.path}`;
  const host = a.host === "localhost" ? "127.0.0.1" : a.host;
  return host.includes(":") ? `[${host}]:${a.port}` : `${host}:${a.port}`;
}

export interface Prepared {
  /** Listener name → descriptor, for the workers of this config. */
  byName: Map<string, number>;
  /** Sockets bound for this config only: closed again if it is abandoned. */
  added: BoundSocket[];
}

export class ListenerSockets {
  readonly #bound = new Map<string, BoundSocket>();

  /** Sockets received from an older instance (upgrade). */
  adopt(sockets: Iterable<BoundSocket>): void {
    for (const s of sockets) this.#bound.set(s.key, s);
  }

  get all(): BoundSocket[] {
    return [...this.#bound.values()];
  }

  /** The socket of every listener of `config`: kept ones reused, new addresses bound. All or nothing. */
  async prepare(config: Config): Promise<Prepared> {
    const byName = new Map<string, number>();
    const added: BoundSocket[] = [];
    for (const [name, listener] of Object.entries(config.listeners)) {
      const key = socketKey(listener.address);
      const existing = this.#bound.get(key) ?? added.find((s) => s.key === key);
      if (existing) {
        byName.set(name, existing.fd);
        continue;
      }
      try {
        const socket = await bind(key, listener.backlog, Number.parseInt(listener.socket_mode, 8));
        added.push(socket);
        byName.set(name, socket.fd);
      } catch (err) {
        this.discard(added);
        throw new ListenError(name, listener.address, err as NodeJS.ErrnoException);
      }
    }
    for (const s of added) this.#bound.set(s.key, s);
    return { byName, added };
  }

  /** Close sockets bound by a config that did not start (and remove their Unix socket files). */
  discard(sockets: readonly BoundSocket[]): void {
    for (const s of sockets) {
      if (this.#bound.get(s.key) === s) this.#bound.delete(s.key);
      release(s, true);
    }
  }

  /**
   * Close our copy of every socket `config` does not use. Workers still draining hold their own copies,
   * so those sockets stop accepting only when the last old worker lets go.
   */
  retain(config: Config): BoundSocket[] {
    const keep = new Set(Object.values(config.listeners).map((l) => socketKey(l.address)));
    const removed: BoundSocket[] = [];
    for (const s of this.#bound.values()) {
      if (keep.has(s.key)) continue;
      this.#bound.delete(s.key);
      release(s, true);
      removed.push(s);
    }
    return removed;
  }

  /** Close every descriptor; remove Unix socket files unless another instance now serves them. */
  closeAll(unlink: boolean): void {
    for (const s of this.#bound.values()) release(s, unlink);
    this.#bound.clear();
  }
}

async function bind(key: string, backlog: number, mode: number): Promise<BoundSocket> {
  const a = parseListenAddress(key);
  if (a.kind === "unix") {
    await removeStaleSocket(a.path);
    return { key, fd: listenUnix(a.path, { backlog, mode }), path: a.path };
  }
  const fd = listenTcp(a.host, a.port, { backlog, ipv6Only: a.host !== "::" });
  return { key, fd, port: localPort(fd) };
}

function release(s: BoundSocket, unlink: boolean): void {
  try {
    closeFd(s.fd);
  } catch {}
  if (unlink && s.path !== undefined) {
    try {
      unlinkSync(s.path);
    } catch {}
  }
}
