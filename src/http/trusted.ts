// The listener's `trusted_proxies`, compiled once into a net.BlockList; asked once per connection.
import { BlockList, isIPv4 } from "node:net";

export type TrustCheck = (address: string) => boolean;

const NOBODY: TrustCheck = () => false;

/** "10.0.0.0/8", "fd00::/8", "192.0.2.7" → a check; the schema has validated every entry. */
export function compileTrusted(cidrs: readonly string[]): TrustCheck {
  if (cidrs.length === 0) return NOBODY;
  const list = new BlockList();
  for (const cidr of cidrs) {
    const slash = cidr.indexOf("/");
    const address = slash < 0 ? cidr : cidr.slice(0, slash);
    const type = isIPv4(address) ? "ipv4" : "ipv6";
    if (slash < 0) list.addAddress(address, type);
    else list.addSubnet(address, Number(cidr.slice(slash + 1)), type);
  }
  return (address) => {
    if (isIPv4(address)) return list.check(address, "ipv4");
    // An IPv4 client on a dual-stack socket appears as ::ffff:a.b.c.d.
    if (address.startsWith("::ffff:") && isIPv4(address.slice(7)))
      return list.check(address.slice(7), "ipv4");
    return list.check(address, "ipv6");
  };
}

/** The address as forwarding headers show it: IPv4-mapped IPv6 addresses as plain IPv4. */
export function displayAddress(address: string): string {
  return address.startsWith("::ffff:") && isIPv4(address.slice(7)) ? address.slice(7) : address;
}
