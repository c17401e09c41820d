// Token buckets kept in Redis, so that every weir instance pointed at the same server shares them. One
// EVAL per request checks every Redis-backed limit of the route and takes a token from each only if all
// of them admit the request (Lua scripts run atomically). The clock is Redis's own (TIME), so instances
// with skewed clocks still agree. A bucket expires once it would be full again anyway.
import { type RespClient, RespError } from "./resp.ts";

// KEYS[i]: bucket key. ARGV: per key, three numbers: rate (tokens/s), burst, longest delay (ms).
// Returns {1, wait_ms} (admitted; hold the request wait_ms) or {0, retry_ms} (refused).
const SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tokens = {}
local wait, retry, ok = 0, 0, 1
for i = 1, #KEYS do
  local rate = tonumber(ARGV[i * 3 - 2]) / 1000
  local burst = tonumber(ARGV[i * 3 - 1])
  local max_delay = tonumber(ARGV[i * 3])
  local v = redis.call('HMGET', KEYS[i], 't', 'at')
  local tk, at = tonumber(v[1]), tonumber(v[2])
  if tk == nil or at == nil then tk, at = burst, now end
  if now > at then tk = math.min(burst, tk + (now - at) * rate) end
  tokens[i] = tk
  if tk < 1 then
    local w = (1 - tk) / rate
    if w > max_delay then
      ok = 0
      if w > retry then retry = w end
    elseif w > wait then wait = w end
  end
end
if ok == 0 then return {0, math.ceil(retry)} end
for i = 1, #KEYS do
  local rate = tonumber(ARGV[i * 3 - 2]) / 1000
  local burst = tonumber(ARGV[i * 3 - 1])
  redis.call('HSET', KEYS[i], 't', tostring(tokens[i] - 1), 'at', now)
  redis.call('PEXPIRE', KEYS[i], math.ceil((burst + 1 - (tokens[i] - 1)) / rate) + 1000)
end
return {1, math.ceil(wait)}
`;

export interface RedisLimit {
  key: string;
  rate: number;
  burst: number;
  maxDelayMs: number;
}

export interface RedisVerdict {
  admitted: boolean;
  /** Admitted: how long to hold the request. Refused: when to retry. Milliseconds. */
  ms: number;
}

/** Admits or refuses against every limit at once; rejects on a Redis failure or after `timeoutMs`. */
export function admitInRedis(
  client: RespClient,
  limits: readonly RedisLimit[],
  timeoutMs: number,
): Promise<RedisVerdict> {
  const args: (string | number)[] = ["EVAL", SCRIPT, limits.length];
  for (const l of limits) args.push(l.key);
  for (const l of limits) args.push(l.rate, l.burst, l.maxDelayMs);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("redis timed out")), timeoutMs);
    client.command(args).then(
      (reply) => {
        clearTimeout(timer);
        if (reply instanceof RespError) return reject(reply);
        if (!Array.isArray(reply) || typeof reply[0] !== "number" || typeof reply[1] !== "number") {
          return reject(new Error("unexpected reply from redis"));
        }
        resolve({ admitted: reply[0] === 1, ms: reply[1] });
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
