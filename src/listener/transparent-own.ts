// The local ends ("address:port") of this process's open tunnels to original destinations. A redirected
// connection whose peer is one of them is weir talking to itself: the iptables rules did not exempt weir's
// user, and forwarding it again would loop. Per process: a worker sees its own tunnels only, which is
// enough with one worker and catches the loop one hop later with several.
import { plainAddress } from "../net/address.ts";

const open = new Set<string>();

const keyOf = (address: string, port: number): string => `${plainAddress(address)}:${port}`;

/** Remembers a tunnel socket's local end until `release` is called (on its close). */
export function trackOwnTunnel(address: string | undefined, port: number | undefined): () => void {
  if (address === undefined || port === undefined) return () => {};
  const key = keyOf(address, port);
  open.add(key);
  return () => open.delete(key);
}

export function isOwnTunnel(address: string | undefined, port: number | undefined): boolean {
  return open.size > 0 && address !== undefined && port !== undefined && open.has(keyOf(address, port));
}
