// `transparent` and `opaque_ports` of a listener: accept connections that netfilter redirected here
// (iptables REDIRECT in the nat table) and send each to the destination its client dialled, read from the
// socket with SO_ORIGINAL_DST / IP6T_SO_ORIGINAL_DST through weir's native addon (docs/transparent.md).
// A transparent listener that cannot read that option is a config error, never a silent fallback: without
// it every connection would have nowhere to go.
import { z } from "zod";
import { isCidr } from "../../net/address.ts";
import { loadNative } from "../../process/native.ts";
import { doc } from "./fields.ts";

/** An opaque_ports entry: a port, a port range "lo-hi", or an address / CIDR of original destinations. */
function isOpaqueEntry(entry: number | string): boolean {
  if (typeof entry === "number") return true;
  const range = /^(\d{1,5})-(\d{1,5})$/.exec(entry);
  if (range) {
    const lo = Number(range[1]);
    const hi = Number(range[2]);
    return lo >= 1 && lo <= hi && hi <= 65535;
  }
  return isCidr(entry);
}

export const transparentFields = {
  transparent: doc(
    z.boolean().prefault(false),
    "Accept connections redirected here by iptables REDIRECT (nat table) and send each to its original destination (SO_ORIGINAL_DST), as a sidecar proxy does; see `weir iptables`. Linux only; needs weir's native addon.",
  ),
  opaque_ports: doc(
    z
      .array(
        z.union([
          z.int().min(1).max(65535),
          z
            .string()
            .refine(isOpaqueEntry, 'expected a port, a range "8000-8100", an address or a CIDR "10.0.0.0/8"'),
        ]),
      )
      .prefault([]),
    "Transparent listeners: original destinations (ports, port ranges, addresses or CIDRs) that are tunnelled at once without protocol detection: server-speaks-first protocols such as SMTP or MySQL.",
  ),
};

/** Why this machine cannot run a transparent listener, or undefined when it can. */
export function transparentUnsupported(): string | undefined {
  if (process.platform !== "linux")
    return `transparent listeners need Linux's SO_ORIGINAL_DST; this is ${process.platform}`;
  try {
    loadNative();
    return undefined;
  } catch (err) {
    return `transparent listeners read the original destination with weir's native addon: ${(err as Error).message}`;
  }
}

interface TransparentListener {
  address: string;
  transparent: boolean;
  opaque_ports: readonly (number | string)[];
}

/** The listener-level checks: a transparent listener is a TCP one on a machine that can read the option. */
export function checkTransparent(listener: TransparentListener, ctx: z.RefinementCtx): void {
  if (!listener.transparent) {
    if (listener.opaque_ports.length > 0)
      ctx.addIssue({
        code: "custom",
        path: ["opaque_ports"],
        message: "opaque_ports applies to transparent listeners only (transparent = true)",
      });
    return;
  }
  if (listener.address.startsWith("unix:")) {
    ctx.addIssue({
      code: "custom",
      path: ["transparent"],
      message: "a transparent listener needs a TCP address: redirected connections do not reach Unix sockets",
    });
    return;
  }
  const why = transparentUnsupported();
  if (why !== undefined) ctx.addIssue({ code: "custom", path: ["transparent"], message: why });
}
