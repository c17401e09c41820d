// The connection accept phase: filters a listener lists (`[[listeners.<name>.filters]]`) run on each
// accepted socket before its protocol handler (raw TCP, HTTP, or detection) reads a byte. It is one
// handshake step (src/listener/handshake), placed after the PROXY header step, so every rule sees the
// real client address. A refusal closes the connection, counted as
// weir_connections_rejected_total{reason=<filter>} and logged at info level.
import type { Socket } from "node:net";
import type { ListenerFilterConfig } from "../config/schema/filters.ts";
import type { ConnectionContext } from "../listener/connection.ts";
import { compileAddressRule } from "./cidr/index.ts";
import { connectionLimitFilter } from "./connection-limit/index.ts";
import type { FilterGeneration } from "./types.ts";

export interface ConnectionFilter {
  readonly name: string;
  /** The label of the rejection counter. */
  readonly reason: string;
  /** True lets the connection through; false closes it. Synchronous: nothing has been read yet. */
  accept(socket: Socket, ctx: ConnectionContext): boolean;
}

/** The shape of a handshake step (src/listener/handshake/index.ts). */
export interface ConnectionStep {
  readonly name: string;
  run(socket: Socket, ctx: ConnectionContext, done: (ok: boolean) => void): void;
}

export function connectionFilter(config: ListenerFilterConfig): ConnectionFilter {
  switch (config.kind) {
    case "cidr": {
      const passes = compileAddressRule(config);
      return { name: "cidr", reason: "cidr", accept: (_socket, ctx) => passes(ctx.clientAddress) };
    }
    case "connection_limit":
      return connectionLimitFilter(config);
  }
}

/** The listener's connection filters as one handshake step, or undefined when it lists none. */
export function connectionFilterStep(gen: FilterGeneration, listener: string): ConnectionStep | undefined {
  const configs = gen.config.listeners[listener]?.filters ?? [];
  if (configs.length === 0) return undefined;
  const filters = configs.map(connectionFilter);
  const rejected = gen.metrics.connectionsRejected;
  return {
    name: "filters",
    run(socket, ctx, done) {
      for (const f of filters) {
        if (f.accept(socket, ctx)) continue;
        rejected.inc({ listener, reason: f.reason });
        gen.log.info(
          { listener, conn: ctx.id, client: ctx.clientAddress, filter: f.name },
          "connection refused by filter",
        );
        return done(false);
      }
      done(true);
    },
  };
}

/**
 * `handler`, preceded by the listener's connection filters (itself when there are none). Listeners put
 * it innermost, after their handshake steps (the PROXY header), so the filters see the real client.
 */
export function withConnectionFilters<H extends (socket: Socket, ctx: ConnectionContext) => void>(
  gen: FilterGeneration,
  listener: string,
  handler: H,
): H {
  const step = connectionFilterStep(gen, listener);
  if (step === undefined) return handler;
  return ((socket: Socket, ctx: ConnectionContext) =>
    step.run(socket, ctx, (ok) => (ok ? handler(socket, ctx) : socket.destroy()))) as H;
}
