// `opaque_ports` compiled once per generation into a test on a connection's original destination: ports
// and port ranges, or addresses and CIDRs (net.BlockList). Such destinations skip detection entirely, so a
// server that speaks first (SMTP, MySQL) is reached at once instead of after detect_timeout.
import { BlockList, isIP } from "node:net";
import type { OriginalDestination } from "../process/native.ts";

export type OpaqueTest = (dst: OriginalDestination) => boolean;

/** The test for `entries` (validated by the schema); undefined when there are none. */
export function compileOpaque(entries: readonly (number | string)[]): OpaqueTest | undefined {
  if (entries.length === 0) return undefined;
  const ports = new Set<number>();
  const ranges: [number, number][] = [];
  const addresses = new BlockList();
  let anyAddress = false;
  for (const entry of entries) {
    if (typeof entry === "number") {
      ports.add(entry);
      continue;
    }
    const range = /^(\d+)-(\d+)$/.exec(entry);
    if (range) {
      ranges.push([Number(range[1]), Number(range[2])]);
      continue;
    }
    const slash = entry.indexOf("/");
    const address = slash < 0 ? entry : entry.slice(0, slash);
    const type = isIP(address) === 6 ? "ipv6" : "ipv4";
    if (slash < 0) addresses.addAddress(address, type);
    else addresses.addSubnet(address, Number(entry.slice(slash + 1)), type);
    anyAddress = true;
  }
  return (dst) => {
    if (ports.has(dst.port)) return true;
    for (const [lo, hi] of ranges) if (dst.port >= lo && dst.port <= hi) return true;
    return anyAddress && addresses.check(dst.address, dst.family === 6 ? "ipv6" : "ipv4");
  };
}
