// DNS lookups that turn names into endpoints: A/AAAA (with TTL), SRV (RFC 2782), DNS-SD (RFC 6763) and
// search lists. Each lookup either answers (possibly with no endpoints) or throws a LookupError for the
// caller to count and log; "the name does not exist" and "no record of that type" are answers, not
// errors: the caller decides what an empty answer means.
import { Resolver } from "node:dns/promises";
import { isIP } from "node:net";
import { type Endpoint, makeEndpoint } from "../endpoint.ts";

/** An answer: the endpoints and how long it may be used (undefined when the records carry no TTL). */
export interface Answer {
  readonly endpoints: readonly Endpoint[];
  readonly ttlMs: number | undefined;
}

/** A lookup that failed (server unreachable, refused, timed out): the last good set should stay. */
export class LookupError extends Error {
  readonly code: string;
  readonly query: string;
  constructor(query: string, cause: NodeJS.ErrnoException) {
    super(`DNS lookup of ${query} failed: ${cause.code ?? cause.message}`, { cause });
    this.name = "LookupError";
    this.code = cause.code ?? "EDNS";
    this.query = query;
  }
}

/** Codes that mean "there is no such record": an empty answer, not a failure. */
const EMPTY_CODES = new Set(["ENODATA", "ENOTFOUND"]);

function isEmpty(err: unknown): boolean {
  return EMPTY_CODES.has((err as NodeJS.ErrnoException).code ?? "");
}

/** A resolver asking `servers` ("host:port"), or the system's servers when the list is empty. */
export function createResolver(servers: readonly string[], timeoutMs: number): Resolver {
  const r = new Resolver({ timeout: timeoutMs, tries: 2 });
  if (servers.length > 0) r.setServers(servers as string[]);
  return r;
}

/** The A and AAAA records of `name`, as endpoints on `port`; the TTL is the shortest record's. */
export async function lookupAddresses(r: Resolver, name: string, port: number, extra = {}): Promise<Answer> {
  const [v4, v6] = await Promise.allSettled([
    r.resolve4(name, { ttl: true }),
    r.resolve6(name, { ttl: true }),
  ]);
  if (v4.status === "rejected" && v6.status === "rejected") {
    if (isEmpty(v4.reason) && isEmpty(v6.reason)) return { endpoints: [], ttlMs: undefined };
    throw new LookupError(name, (isEmpty(v4.reason) ? v6.reason : v4.reason) as NodeJS.ErrnoException);
  }
  // One family failing for another reason than "none" while the other answered: use what came back.
  const records = [
    ...(v4.status === "fulfilled" ? v4.value : []),
    ...(v6.status === "fulfilled" ? v6.value : []),
  ];
  let ttl = Number.POSITIVE_INFINITY;
  for (const rec of records) ttl = Math.min(ttl, rec.ttl);
  return {
    endpoints: records.map((rec) => makeEndpoint(rec.address, port, extra)),
    ttlMs: records.length === 0 ? undefined : ttl * 1000,
  };
}

/** The candidates a search list gives `name`: as given, then with each domain; an absolute name alone. */
export function searchNames(name: string, search: readonly string[]): string[] {
  if (name.endsWith(".") || search.length === 0) return [name.replace(/\.$/, "")];
  return [name, ...search.map((d) => `${name}.${d.replace(/\.$/, "")}`)];
}

/**
 * Tries each name of the search list in order; the first with addresses wins. A candidate whose server
 * refused or failed is skipped like one that does not exist (a resolver's search list does the same);
 * only when every candidate failed, and at least one by a failure, is the lookup a failure.
 */
export async function lookupSearch(
  r: Resolver,
  name: string,
  port: number,
  search: readonly string[],
): Promise<Answer> {
  let failure: LookupError | undefined;
  for (const candidate of searchNames(name, search)) {
    try {
      const answer = await lookupAddresses(r, candidate, port);
      if (answer.endpoints.length > 0) return answer;
    } catch (err) {
      failure ??= err as LookupError;
    }
  }
  if (failure !== undefined) throw failure;
  return { endpoints: [], ttlMs: undefined };
}

async function resolveOrEmpty<T>(query: string, run: () => Promise<T[]>): Promise<T[]> {
  try {
    return await run();
  } catch (err) {
    if (isEmpty(err)) return [];
    throw new LookupError(query, err as NodeJS.ErrnoException);
  }
}

/** The addresses of an SRV target: a literal address as it is, else its A/AAAA records. */
async function targetEndpoints(
  r: Resolver,
  target: string,
  port: number,
  extra: { weight: number; priority: number; meta?: Record<string, string> },
): Promise<readonly Endpoint[]> {
  if (isIP(target) !== 0) return [makeEndpoint(target, port, extra)];
  return (await lookupAddresses(r, target, port, extra)).endpoints;
}

/**
 * SRV records of `name` (RFC 2782): one endpoint per address of each target, with the record's
 * priority and weight. A target of "." says the service is not offered there. A weight of 0 means
 * "only if nothing else": it becomes the smallest weight, 1, among its priority's heavier peers.
 */
export async function lookupSrv(r: Resolver, name: string, meta?: Record<string, string>): Promise<Answer> {
  const records = await resolveOrEmpty(name, () => r.resolveSrv(name));
  const sets = await Promise.all(
    records
      .filter((rec) => rec.name !== "" && rec.name !== ".")
      .map((rec) =>
        targetEndpoints(r, rec.name, rec.port, {
          weight: Math.max(rec.weight, 1),
          priority: rec.priority,
          ...(meta === undefined ? {} : { meta }),
        }),
      ),
  );
  return { endpoints: dedupe(sets.flat()), ttlMs: undefined };
}

/**
 * DNS-SD (RFC 6763): the PTR records of the service type name its instances (§4.1); each instance's SRV
 * gives where it runs and its TXT the key/value pairs (§6.3: a key is everything before the first "=",
 * compared case-insensitively; a key without "=" is a boolean attribute, held as "").
 */
export async function lookupDnssd(r: Resolver, serviceType: string): Promise<Answer> {
  const instances = await resolveOrEmpty(serviceType, () => r.resolvePtr(serviceType));
  const sets = await Promise.all(
    instances.map(async (instance) => {
      const txt = await resolveOrEmpty(instance, () => r.resolveTxt(instance));
      const meta = txtMeta(txt);
      meta.instance ??= instance;
      return (await lookupSrv(r, instance, meta)).endpoints;
    }),
  );
  return { endpoints: dedupe(sets.flat()), ttlMs: undefined };
}

/** TXT strings → metadata (RFC 6763 §6.4: the first occurrence of a key wins). */
export function txtMeta(records: readonly (readonly string[])[]): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const record of records) {
    for (const pair of record) {
      if (pair === "") continue;
      const eq = pair.indexOf("=");
      if (eq === 0) continue; // §6.4: a string starting with "=" has no key and is ignored
      const key = (eq < 0 ? pair : pair.slice(0, eq)).toLowerCase();
      if (!(key in meta)) meta[key] = eq < 0 ? "" : pair.slice(eq + 1);
    }
  }
  return meta;
}

/** Keeps the first endpoint of each key (the same address reached through two records). */
function dedupe(endpoints: readonly Endpoint[]): Endpoint[] {
  const seen = new Set<string>();
  return endpoints.filter((e) => !seen.has(e.key) && seen.add(e.key) !== undefined);
}
