// `kind = "cidr"`: allow and deny lists of networks (IPv4 and IPv6), compiled once into net.BlockLists.
// On a route it runs at request arrival on the request's client (`ctx.client`: behind trusted_proxies,
// the one X-Forwarded-For reveals); on a listener, at accept (after any PROXY header, so it sees the
// real client). Deny wins over allow; a non-empty allow list refuses everyone it does not name.
import { isIP } from "node:net";
import type { CidrFilterConfig } from "../../config/schema/filters.ts";
import type { Reply } from "../../http/phases.ts";
import type { RequestContext } from "../../http/request-context.ts";
import { compileCidrs, plainAddress } from "../../net/address.ts";
import type { ProvisionedFilter } from "../types.ts";

/** Whether a client address may pass. Unix socket peers ("unix") have no address: they pass. */
export type AddressRule = (address: string) => boolean;

export function compileAddressRule(config: Pick<CidrFilterConfig, "allow" | "deny">): AddressRule {
  const allow = compileCidrs(config.allow);
  const deny = compileCidrs(config.deny);
  const decide = (raw: string): boolean => {
    const address = plainAddress(raw);
    const family = isIP(address);
    if (family === 0) return true;
    const type = family === 4 ? "ipv4" : "ipv6";
    if (deny?.check(address, type)) return false;
    return allow === undefined || allow.check(address, type);
  };
  // The last answer is kept: a keep-alive connection's requests all ask about the same client, and
  // parsing the address and walking both lists again cost more than the rest of the filter.
  let lastAddress: string | undefined;
  let lastPasses = false;
  return (raw: string) => {
    if (raw !== lastAddress) {
      lastPasses = decide(raw);
      lastAddress = raw;
    }
    return lastPasses;
  };
}

export function cidrFilter(config: CidrFilterConfig): ProvisionedFilter {
  const passes = compileAddressRule(config);
  const body = `${config.status} forbidden\n`;
  const refusal: Reply = Object.freeze({
    status: config.status,
    headers: Object.freeze({
      "content-type": "text/plain; charset=utf-8",
      "content-length": String(body.length),
    }),
    body,
  });
  return {
    name: "cidr",
    requestArrival(ctx: RequestContext) {
      return passes(ctx.client) ? undefined : refusal;
    },
  };
}
