// What the access log may show of a request, compiled once per generation from `[access_log]`: which
// request headers are written, which header values and query parameter values are replaced by
// "[redacted]", and which lines are sampled away. Lines for errors and 4xx/5xx answers are always kept.

export const REDACTED = "[redacted]";

export interface AccessLogPolicy {
  /** Whether this request's line is written. */
  keep(status: number, failed: boolean): boolean;
  /** Whether this TCP session's line is written. */
  keepSession(failed: boolean): boolean;
  /** The logged request headers (flat [name, value, ...] as received), or undefined when none apply. */
  headers(raw: readonly string[]): Record<string, string> | undefined;
  /** The path with redacted query parameter values. */
  path(path: string): string;
}

export interface AccessLogPolicyConfig {
  headers: readonly string[];
  redact_headers: readonly string[];
  redact_query: readonly string[];
  sample: number;
}

export function compileAccessLogPolicy(
  config: AccessLogPolicyConfig,
  random: () => number = Math.random,
): AccessLogPolicy {
  const redact = new Set(config.redact_headers.map((h) => h.toLowerCase()));
  const wanted = new Set([...config.headers.map((h) => h.toLowerCase()), ...redact]);
  // Most header names are none of these: a length check skips lowercasing them (once per header per request).
  const wantedLengths = new Set([...wanted].map((h) => h.length));
  const query = new Set(config.redact_query);
  const sample = config.sample;
  return {
    keep(status, failed) {
      if (sample >= 1 || failed || status >= 400 || status === 0) return true;
      return random() < sample;
    },
    keepSession(failed) {
      if (sample >= 1 || failed) return true;
      return random() < sample;
    },
    headers(raw) {
      if (wanted.size === 0) return undefined;
      let out: Record<string, string> | undefined;
      for (let i = 0; i + 1 < raw.length; i += 2) {
        const rawName = raw[i] as string;
        if (!wantedLengths.has(rawName.length)) continue;
        const name = rawName.toLowerCase();
        if (!wanted.has(name)) continue;
        out ??= {};
        const value = redact.has(name) ? REDACTED : (raw[i + 1] as string);
        const before = out[name];
        out[name] = before === undefined || before === REDACTED ? value : `${before}, ${value}`;
      }
      return out;
    },
    path(path) {
      if (query.size === 0) return path;
      const q = path.indexOf("?");
      if (q < 0) return path;
      const fragment = path.indexOf("#", q);
      const end = fragment < 0 ? path.length : fragment;
      const parts = path.slice(q + 1, end).split("&");
      let changed = false;
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i] as string;
        const eq = part.indexOf("=");
        const rawName = eq < 0 ? part : part.slice(0, eq);
        if (query.has(rawName) || query.has(decodeName(rawName))) {
          parts[i] = `${rawName}=${REDACTED}`;
          changed = true;
        }
      }
      return changed ? `${path.slice(0, q + 1)}${parts.join("&")}${path.slice(end)}` : path;
    },
  };
}

/** A query parameter name as application/x-www-form-urlencoded decodes it; the raw name if malformed. */
function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, " "));
  } catch {
    return name;
  }
}

const byConfig = new WeakMap<object, AccessLogPolicy>();

/** The policy of a generation's `[access_log]`, compiled once per config and shared by its listeners. */
export function accessLogPolicy(config: { access_log: AccessLogPolicyConfig }): AccessLogPolicy {
  let policy = byConfig.get(config.access_log);
  if (policy === undefined) {
    policy = compileAccessLogPolicy(config.access_log);
    byConfig.set(config.access_log, policy);
  }
  return policy;
}
