import type { Socket } from "node:net";

/** What every handler knows about an accepted connection. The client address is the real client's:
 * the socket's peer, or the one a PROXY header carried. */
export interface ConnectionContext {
  readonly id: number;
  readonly listener: string;
  clientAddress: string;
  clientPort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly acceptedAt: number;
}

/** Takes over an accepted connection; owns the socket from then on. */
export type ConnectionHandler = (socket: Socket, ctx: ConnectionContext) => void;

let lastId = 0;

export function newConnectionContext(listener: string, socket: Socket): ConnectionContext {
  return {
    id: ++lastId,
    listener,
    clientAddress: socket.remoteAddress ?? "unix",
    clientPort: socket.remotePort ?? 0,
    localAddress: socket.localAddress ?? "unix",
    localPort: socket.localPort ?? 0,
    acceptedAt: Date.now(),
  };
}
