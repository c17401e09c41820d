// GET /config: the effective config with its secrets replaced by "[redacted]": the admin token, the
// values of OTLP headers (API keys), any field whose name says it is a secret, and the password of any
// URL that carries one. Paths to key files stay: they are where a secret is, not the secret.
import { REDACTED } from "./access-redact.ts";

/** Field names whose values are secrets wherever they appear. */
const SECRET_NAME = /(^|_)(token|password|passphrase|secret|api_key)$/i;
/** Objects whose every value is a secret (header name → value). */
const SECRET_MAPS = new Set(["otlp_headers"]);

export function redactConfig(value: unknown, key = ""): unknown {
  if (Array.isArray(value)) return value.map((v) => redactConfig(v, key));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (SECRET_MAPS.has(k) && v !== null && typeof v === "object")
        out[k] = Object.fromEntries(Object.keys(v).map((name) => [name, REDACTED]));
      else if (SECRET_NAME.test(k) && v !== undefined) out[k] = REDACTED;
      else out[k] = redactConfig(v, k);
    }
    return out;
  }
  if (typeof value === "string") return redactUrlPassword(value);
  return value;
}

/** "http://user:pw@host" → "http://user:[redacted]@host"; anything else unchanged. */
function redactUrlPassword(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/:@\s]*):[^@/\s]*@/i, `$1:${REDACTED}@`);
}
