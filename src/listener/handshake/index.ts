// Accept-time handshake steps (DESIGN.md "Accept", after HAProxy's handshake handlers): a short chain run
// on each accepted socket before its protocol handler sees it. Each step either finishes (`done(true)`,
// and the next step or the handler runs), fails (`done(false)`: the step has counted and logged why, the
// chain closes the socket), or waits for bytes under its own timeout. A step that reads bytes it does not
// own removes its listeners, then puts them back with `socket.unshift`; the next step or handler runs
// synchronously inside `done` and attaches its own listeners before the buffered bytes flow, so nothing
// is lost. The socket is not left paused (an explicit pause would keep 'data' listeners from resuming).
import type { Socket } from "node:net";
import type { ConnectionContext, ConnectionHandler } from "../connection.ts";

export interface HandshakeStep {
  readonly name: string;
  /** Calls `done` exactly once; never throws. */
  run(socket: Socket, ctx: ConnectionContext, done: (ok: boolean) => void): void;
}

/** `handler`, preceded by `steps` in order; with no steps, `handler` itself. */
export function withHandshake(
  steps: readonly HandshakeStep[],
  handler: ConnectionHandler,
): ConnectionHandler {
  if (steps.length === 0) return handler;
  return (socket, ctx) => {
    let index = 0;
    const done = (ok: boolean): void => {
      if (!ok || socket.destroyed) socket.destroy();
      else if (index === steps.length) handler(socket, ctx);
      else steps[index++]!.run(socket, ctx, done);
    };
    done(true);
  };
}
