// Which lookup feeds an upstream, from its config: a fixed `endpoints` list (names resolved by the
// system resolver, like a client would), or `discovery` by A/AAAA (with search list), SRV or DNS-SD.
import type { Resolver } from "node:dns/promises";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { UpstreamConfig } from "../../config/schema/index.ts";
import { type Endpoint, makeEndpoint, parseEndpoint } from "../endpoint.ts";
import { type Answer, createResolver, LookupError, lookupDnssd, lookupSearch, lookupSrv } from "./dns.ts";
import { DEFAULT_REFRESH_MS, type LoopTiming } from "./loop.ts";

export interface Source {
  /** The endpoints known without asking anyone (a list of addresses), else undefined. */
  readonly fixed: readonly Endpoint[] | undefined;
  readonly lookup: () => Promise<Answer>;
  readonly timing: LoopTiming;
  /** Cancels queries in flight. */
  cancel(): void;
}

/** How often names in a fixed `endpoints` list are resolved again. */
const STATIC_REFRESH_MS = 30_000;

export function sourceFor(config: UpstreamConfig): Source {
  const d = config.discovery;
  if (d === undefined) return staticSource(config.endpoints ?? []);
  const resolver: Resolver = createResolver(d.servers, d.timeout);
  const timing: LoopTiming = {
    minTtlMs: d.min_ttl,
    maxTtlMs: d.max_ttl,
    refreshMs: d.refresh ?? (d.dns === undefined ? DEFAULT_REFRESH_MS : undefined),
    emptyGraceMs: d.empty_grace,
  };
  let lookupFn: () => Promise<Answer>;
  if (d.dns !== undefined) {
    const name = d.dns;
    const port = d.port as number;
    lookupFn = () => lookupSearch(resolver, name, port, d.search);
  } else if (d.srv !== undefined) {
    const name = d.srv;
    lookupFn = () => lookupSrv(resolver, name);
  } else {
    const type = d.dnssd as string;
    lookupFn = () => lookupDnssd(resolver, type);
  }
  return { fixed: undefined, lookup: lookupFn, timing, cancel: () => resolver.cancel() };
}

function staticSource(list: readonly string[]): Source {
  const parsed = list.map(parseEndpoint);
  const named = parsed.some((e) => isIP(e.host) === 0);
  const timing: LoopTiming = {
    minTtlMs: STATIC_REFRESH_MS,
    maxTtlMs: STATIC_REFRESH_MS,
    refreshMs: STATIC_REFRESH_MS,
    emptyGraceMs: 0,
  };
  if (!named) {
    const fixed = Object.freeze(parsed);
    return { fixed, lookup: async () => ({ endpoints: fixed, ttlMs: undefined }), timing, cancel() {} };
  }
  return {
    fixed: undefined,
    timing,
    cancel() {},
    async lookup() {
      const sets = await Promise.all(
        parsed.map(async (e) => {
          if (isIP(e.host) !== 0) return [e];
          try {
            const addresses = await lookup(e.host, { all: true, order: "verbatim" });
            return addresses.map((a) => makeEndpoint(a.address, e.port));
          } catch (err) {
            throw new LookupError(e.host, err as NodeJS.ErrnoException);
          }
        }),
      );
      return { endpoints: sets.flat(), ttlMs: undefined };
    },
  };
}
