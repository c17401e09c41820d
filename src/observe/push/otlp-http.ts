// OTLP/HTTP with the JSON encoding (OpenTelemetry Protocol spec, "OTLP/HTTP": POST to <base>/v1/logs or
// <base>/v1/metrics, Content-Type application/json, any 2xx is success). Each request has its own
// deadline, so a collector that accepts the connection and never answers cannot hold a batch forever.
import { hostname } from "node:os";
import { VERSION } from "../../cli/version.ts";

export class OtlpError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "OtlpError";
    this.code = code;
  }
}

/** `base` ("http://collector:4318", with or without a trailing slash or path) + "/v1/logs". */
export function otlpEndpoint(base: string, signal: "logs" | "metrics"): string {
  return `${base.replace(/\/+$/, "")}/v1/${signal}`;
}

export async function postOtlp(
  url: string,
  body: unknown,
  headers: Readonly<Record<string, string>>,
  timeoutMs: number,
): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    throw new OtlpError(cause?.code ?? (err as Error).name, `OTLP ${url}: ${(err as Error).message}`);
  }
  // Read the body so the connection can be reused; OTLP's partial-success answer is not acted on.
  await res.arrayBuffer().catch(() => undefined);
  if (res.status < 200 || res.status > 299)
    throw new OtlpError(`HTTP_${res.status}`, `OTLP ${url}: ${res.status}`);
}

/** OTLP AnyValue (common.proto). Integers travel as strings in the JSON encoding (int64). */
export type AnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: AnyValue[] } }
  | { kvlistValue: { values: KeyValue[] } };

export interface KeyValue {
  key: string;
  value: AnyValue;
}

export function anyValue(v: unknown): AnyValue {
  if (typeof v === "string") return { stringValue: v };
  if (typeof v === "boolean") return { boolValue: v };
  if (typeof v === "number") return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(anyValue) } };
  if (v !== null && typeof v === "object")
    return { kvlistValue: { values: Object.entries(v).map(([key, x]) => ({ key, value: anyValue(x) })) } };
  return { stringValue: String(v) };
}

export function attributes(record: Readonly<Record<string, unknown>>): KeyValue[] {
  const out: KeyValue[] = [];
  for (const [key, v] of Object.entries(record)) if (v !== undefined) out.push({ key, value: anyValue(v) });
  return out;
}

/** The resource every signal is sent with (semantic conventions: service.*, host.name). */
export function weirResource(extra: Record<string, unknown> = {}): { attributes: KeyValue[] } {
  return {
    attributes: attributes({
      "service.name": "weir",
      "service.version": VERSION,
      "host.name": hostname(),
      ...extra,
    }),
  };
}

/** Milliseconds since the epoch as OTLP's fixed64 nanoseconds, a decimal string in JSON. */
export function unixNano(ms: number): string {
  return `${BigInt(Math.round(ms * 1000)) * 1000n}`;
}
