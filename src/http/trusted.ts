// The listener's `trusted_proxies`, compiled once into a net.BlockList; asked once per connection.
import { compileCidrs, listed, plainAddress } from "../net/address.ts";

export type TrustCheck = (address: string) => boolean;

const NOBODY: TrustCheck = () => false;

/** "10.0.0.0/8", "fd00::/8", "192.0.2.7" → a check; the schema has validated every entry. */
export function compileTrusted(cidrs: readonly string[]): TrustCheck {
  const list = compileCidrs(cidrs);
  return list === undefined ? NOBODY : (address) => listed(list, address);
}

/** The address as forwarding headers show it: IPv4-mapped IPv6 addresses as plain IPv4. */
export const displayAddress = plainAddress;
