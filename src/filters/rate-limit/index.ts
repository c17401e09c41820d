// `kind = "rate_limit"`: token buckets per key (client address, a header, the path, the route, or a
// combination), `rate` per second with bursts of `burst`. Over the limit a request gets 429 with
// Retry-After (RFC 9110 §10.2.3, RFC 6585 §4), or with `over_limit = "delay"` waits for its token up to
// `max_delay`. All rate limits of one route form one filter (at the place of the first): a request takes
// a token from none of them unless every one admits it.
//
// Buckets live in this process (bounded LRU, local.ts) or, with `redis`, in Redis (redis.ts), shared by
// every weir instance using it. Redis-backed limits are settled first, in one atomic script; the local
// ones are checked again after it answers. If a local one refuses then, the Redis tokens stay taken: the
// one imprecision of mixing the two backends in one route. When Redis fails or is slow, the request
// passes (fail open: a limiter outage must not become an outage) and the failure is logged.
import type { RateLimitFilterConfig } from "../../config/schema/filters.ts";
import type { Reply, Verdict } from "../../http/phases.ts";
import type { RequestContext } from "../../http/request-context.ts";
import type { Logger } from "../../observe/log.ts";
import type { ProvisionedFilter } from "../types.ts";
import { compileKey, type KeyOf } from "./key.ts";
import { LocalBuckets } from "./local.ts";
import { admitInRedis, type RedisLimit } from "./redis.ts";
import { RespClient } from "./resp.ts";

interface Limit {
  readonly keyOf: KeyOf;
  readonly rate: number;
  readonly burst: number;
  /** 0 for "reject". */
  readonly maxDelayMs: number;
  readonly local: LocalBuckets | undefined;
  readonly redis: { client: RespClient; prefix: string; timeoutMs: number } | undefined;
}

export interface RateLimitEntry {
  readonly config: RateLimitFilterConfig;
  /** Where it stands in its route's filter list: part of its Redis key, so instances agree on it. */
  readonly id: string;
}

export function rateLimitFilter(entries: readonly RateLimitEntry[], log: Logger): ProvisionedFilter {
  const clients = new Map<string, RespClient>();
  const limits: Limit[] = entries.map(({ config, id }) => {
    const burst = config.burst ?? Math.max(1, Math.ceil(config.rate));
    const redis = config.redis;
    let client: RespClient | undefined;
    if (redis !== undefined) {
      client = clients.get(redis.address);
      if (client === undefined) {
        client = new RespClient(redis.address);
        clients.set(redis.address, client);
      }
    }
    return {
      keyOf: compileKey(config.key),
      rate: config.rate,
      burst,
      maxDelayMs: config.over_limit === "delay" ? config.max_delay : 0,
      local: redis === undefined ? new LocalBuckets(config.rate, burst, config.max_buckets) : undefined,
      redis:
        client === undefined || redis === undefined
          ? undefined
          : { client, prefix: `${redis.prefix}${id}:`, timeoutMs: redis.timeout },
    };
  });
  const anyRedis = limits.some((l) => l.redis !== undefined);
  let lastRedisWarning = 0;

  /** The local limits' verdict; takes their tokens only when `commit` and all admit. */
  function settleLocal(keys: readonly (string | undefined)[], commit: boolean): Verdict | number {
    const now = performance.now();
    let wait = 0;
    let retry = 0;
    for (let i = 0; i < limits.length; i++) {
      const l = limits[i]!;
      const key = keys[i];
      if (l.local === undefined || key === undefined) continue;
      const w = l.local.wait(key, now);
      if (w > l.maxDelayMs) retry = Math.max(retry, w);
      else if (w > wait) wait = w;
    }
    if (retry > 0) return tooManyRequests(retry);
    if (commit) {
      for (let i = 0; i < limits.length; i++) {
        const key = keys[i];
        if (key !== undefined) limits[i]!.local?.take(key, now);
      }
    }
    return wait;
  }

  function keysOf(ctx: RequestContext): (string | undefined)[] {
    const keys: (string | undefined)[] = new Array(limits.length);
    for (let i = 0; i < limits.length; i++) keys[i] = limits[i]!.keyOf(ctx);
    return keys;
  }

  async function withRedis(keys: (string | undefined)[]): Promise<Verdict> {
    const byClient = new Map<RespClient, { limits: RedisLimit[]; timeoutMs: number }>();
    for (let i = 0; i < limits.length; i++) {
      const l = limits[i]!;
      const key = keys[i];
      if (l.redis === undefined || key === undefined) continue;
      let group = byClient.get(l.redis.client);
      if (group === undefined) {
        group = { limits: [], timeoutMs: l.redis.timeoutMs };
        byClient.set(l.redis.client, group);
      }
      group.limits.push({
        key: l.redis.prefix + key,
        rate: l.rate,
        burst: l.burst,
        maxDelayMs: l.maxDelayMs,
      });
    }
    let wait = 0;
    for (const [client, group] of byClient) {
      try {
        const v = await admitInRedis(client, group.limits, group.timeoutMs);
        if (!v.admitted) return tooManyRequests(v.ms);
        wait = Math.max(wait, v.ms);
      } catch (err) {
        const now = Date.now();
        if (now - lastRedisWarning > 10_000) {
          lastRedisWarning = now;
          log.warn({ err: (err as Error).message }, "rate_limit: redis unavailable, requests pass");
        }
      }
    }
    const local = settleLocal(keys, true);
    if (typeof local !== "number") return local;
    return delay(Math.max(wait, local));
  }

  // The common case, one local limit: no key array, one bucket lookup.
  const only = limits.length === 1 ? limits[0]! : undefined;
  const onlyLocal = only?.local;
  if (only !== undefined && onlyLocal !== undefined) {
    const { keyOf, maxDelayMs } = only;
    return {
      name: "rate_limit",
      requestArrival(ctx: RequestContext) {
        const key = keyOf(ctx);
        if (key === undefined) return undefined;
        const wait = onlyLocal.admit(key, performance.now(), maxDelayMs);
        if (wait > maxDelayMs) return tooManyRequests(wait);
        return wait > 0 ? delay(wait) : undefined;
      },
    };
  }

  return {
    name: "rate_limit",
    requestArrival(ctx: RequestContext) {
      const keys = keysOf(ctx);
      if (anyRedis) {
        // Refuse early on a local limit without asking Redis; take the local tokens after it answers.
        const local = settleLocal(keys, false);
        if (typeof local !== "number") return local;
        return withRedis(keys);
      }
      const local = settleLocal(keys, true);
      if (typeof local !== "number") return local;
      return local > 0 ? delay(local) : undefined;
    },
    close() {
      for (const c of clients.values()) c.close();
    },
  };
}

const BODY = "429 too many requests\n";

function tooManyRequests(retryMs: number): Reply {
  return {
    status: 429,
    headers: {
      "retry-after": String(Math.max(1, Math.ceil(retryMs / 1000))),
      "content-type": "text/plain; charset=utf-8",
      "content-length": String(BODY.length),
    },
    body: BODY,
  };
}

function delay(ms: number): Promise<Verdict> | undefined {
  if (ms <= 0) return undefined;
  return new Promise((resolve) => setTimeout(resolve, ms, undefined));
}
