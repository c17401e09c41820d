// `kind = "connection_limit"` on a listener: a client address may hold at most `per_client` connections
// to it at once; one more is closed on accept. Counts live in one Map per listener and per generation;
// an entry is removed when its last connection closes, so the map holds only clients connected now.
import type { Socket } from "node:net";
import type { ConnectionLimitFilterConfig } from "../../config/schema/filters.ts";
import type { ConnectionContext } from "../../listener/connection.ts";
import { plainAddress } from "../../net/address.ts";
import type { ConnectionFilter } from "../connection.ts";

export function connectionLimitFilter(config: ConnectionLimitFilterConfig): ConnectionFilter {
  const max = config.per_client;
  const open = new Map<string, number>();
  const release = (key: string): void => {
    const n = open.get(key) ?? 1;
    if (n <= 1) open.delete(key);
    else open.set(key, n - 1);
  };
  return {
    name: "connection_limit",
    reason: "connection_limit",
    accept(socket: Socket, ctx: ConnectionContext): boolean {
      const key = plainAddress(ctx.clientAddress);
      const n = open.get(key) ?? 0;
      if (n >= max) return false;
      open.set(key, n + 1);
      socket.once("close", () => release(key));
      return true;
    },
  };
}
