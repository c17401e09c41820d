// Client addresses and configured networks, one spelling for the whole proxy. CIDR text is checked when
// the config loads and compiled once into a net.BlockList; requests only ask the compiled list.
import { BlockList, isIP, isIPv4 } from "node:net";

/** "::ffff:10.0.0.1" → "10.0.0.1": a dual-stack socket shows IPv4 peers as mapped IPv6 addresses, and
 * rules, keys and forwarding headers must see one spelling per client. */
export function plainAddress(address: string): string {
  return address.length > 7 && address.startsWith("::ffff:") && isIPv4(address.slice(7))
    ? address.slice(7)
    : address;
}

/** "10.0.0.0/8", "fd00::/8" or a single address; checked by building the entry it will become. */
export function isCidr(text: string): boolean {
  const slash = text.indexOf("/");
  const address = slash < 0 ? text : text.slice(0, slash);
  const family = isIP(address);
  if (family === 0) return false;
  if (slash < 0) return true;
  const bits = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return false;
  try {
    new BlockList().addSubnet(address, Number(bits), family === 4 ? "ipv4" : "ipv6");
    return true;
  } catch {
    return false;
  }
}

/** Adds one validated entry ("10.0.0.0/8", "::1") to `list`. */
export function addCidr(list: BlockList, text: string): void {
  const slash = text.indexOf("/");
  const address = slash < 0 ? text : text.slice(0, slash);
  const type = isIP(address) === 4 ? "ipv4" : "ipv6";
  if (slash < 0) list.addAddress(address, type);
  else list.addSubnet(address, Number(text.slice(slash + 1)), type);
}

/** The list of validated entries, or undefined for none (so callers can skip the check entirely). */
export function compileCidrs(cidrs: readonly string[]): BlockList | undefined {
  if (cidrs.length === 0) return undefined;
  const list = new BlockList();
  for (const text of cidrs) addCidr(list, text);
  return list;
}

/** Whether `address` (any spelling, IPv4-mapped included) is in `list`; false for a non-IP ("unix"). */
export function listed(list: BlockList, address: string): boolean {
  const plain = plainAddress(address);
  const family = isIP(plain);
  return family !== 0 && list.check(plain, family === 4 ? "ipv4" : "ipv6");
}
