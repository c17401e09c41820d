// `opaque_ports` compiled once per generation into a test on a connection's original destination: ports
// and port ranges, or addresses and CIDRs (net.BlockList). Such destinations skip detection entirely, so a
// server that speaks first (SMTP, MySQL) is reached at once instead of after detect_timeout.
import { BlockList } from "node:net";
import { addCidr } from "../net/address.ts";
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
    addCidr(addresses, entry);
    anyAddress = true;
  }
  return (dst) => {
    if (ports.has(dst.port)) return true;
    for (const [lo, hi] of ranges) if (dst.port >= lo && dst.port <= hi) return true;
    return anyAddress && addresses.check(dst.address, dst.family === 6 ? "ipv6" : "ipv4");
  };
}
