// The one error type of the HTTP proxy and its catalog. Every failure of a request, whoever caused it,
// becomes an HttpError; its fields decide what happens next: `status` is what the client gets (when no
// response head was sent yet), `source` says whose fault it was (for logs and metrics), `retryable` says
// whether the request may go to another endpoint (only when nothing of it reached the upstream).

/** Who caused a failure: the client (downstream), an upstream endpoint, or weir itself. */
export type ErrorSource = "downstream" | "upstream" | "internal";

interface CatalogEntry {
  readonly status: number;
  readonly source: ErrorSource;
  readonly retryable: boolean;
  readonly message: string;
}

/** Every error code weir's HTTP proxy produces. Codes are stable: logs, metrics and tests match on them. */
export const HTTP_ERRORS = {
  BAD_REQUEST: { status: 400, source: "downstream", retryable: false, message: "malformed request" },
  BAD_HOST: { status: 400, source: "downstream", retryable: false, message: "missing or invalid Host" },
  NO_ROUTE: { status: 404, source: "downstream", retryable: false, message: "no route" },
  CONNECT_NOT_ALLOWED: {
    status: 405,
    source: "downstream",
    retryable: false,
    message: "CONNECT not allowed to this target",
  },
  UPGRADE_NOT_ALLOWED: {
    status: 403,
    source: "downstream",
    retryable: false,
    message: "upgrade not allowed on this route",
  },
  UPGRADE_NOT_SUPPORTED: {
    status: 501,
    source: "downstream",
    retryable: false,
    message: "upgrade protocol not supported",
  },
  HEADER_TIMEOUT: {
    status: 408,
    source: "downstream",
    retryable: false,
    message: "request head not received in time",
  },
  BODY_TOO_LARGE: { status: 413, source: "downstream", retryable: false, message: "request body too large" },
  HEADERS_TOO_LARGE: {
    status: 431,
    source: "downstream",
    retryable: false,
    message: "request header fields too large",
  },
  CLIENT_ABORTED: { status: 499, source: "downstream", retryable: false, message: "client went away" },
  NO_ENDPOINT: {
    status: 503,
    source: "upstream",
    retryable: false,
    message: "no upstream endpoint available",
  },
  CONNECT_FAILED: { status: 502, source: "upstream", retryable: true, message: "upstream connect failed" },
  CONNECT_TIMEOUT: {
    status: 502,
    source: "upstream",
    retryable: true,
    message: "upstream connect timed out",
  },
  UPSTREAM_RESET: {
    status: 502,
    source: "upstream",
    retryable: false,
    message: "upstream connection failed",
  },
  BAD_RESPONSE: { status: 502, source: "upstream", retryable: false, message: "invalid upstream response" },
  RESPONSE_TIMEOUT: { status: 504, source: "upstream", retryable: false, message: "upstream timed out" },
  INTERNAL: { status: 500, source: "internal", retryable: false, message: "internal error" },
} as const satisfies Record<string, CatalogEntry>;

export type HttpErrorCode = keyof typeof HTTP_ERRORS;

export class HttpError extends Error {
  readonly code: HttpErrorCode;
  readonly status: number;
  readonly source: ErrorSource;
  readonly retryable: boolean;

  constructor(code: HttpErrorCode, cause?: unknown) {
    const entry: CatalogEntry = HTTP_ERRORS[code];
    super(entry.message, cause === undefined ? undefined : { cause });
    this.name = "HttpError";
    this.code = code;
    this.status = entry.status;
    this.source = entry.source;
    this.retryable = entry.retryable;
  }
}

/** Socket-level codes of a connect that never succeeded: nothing of the request was sent. */
const CONNECT_CODES = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);

/** Maps what undici (or the socket under it) reported to weir's catalog. */
export function fromUpstreamError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case "UND_ERR_CONNECT_TIMEOUT":
    case "WEIR_CONNECT_TIMEOUT":
      return new HttpError("CONNECT_TIMEOUT", err);
    case "UND_ERR_HEADERS_TIMEOUT":
    case "UND_ERR_BODY_TIMEOUT":
      return new HttpError("RESPONSE_TIMEOUT", err);
    case "HPE_INVALID_CONSTANT":
    case "HPE_INVALID_HEADER_TOKEN":
    case "HPE_INVALID_CONTENT_LENGTH":
    case "HPE_INVALID_CHUNK_SIZE":
    case "HPE_UNEXPECTED_CONTENT_LENGTH":
    case "UND_ERR_RES_CONTENT_LENGTH_MISMATCH":
    case "UND_ERR_INFO":
      return new HttpError("BAD_RESPONSE", err);
    default:
      if (typeof code === "string" && CONNECT_CODES.has(code)) return new HttpError("CONNECT_FAILED", err);
      return new HttpError("UPSTREAM_RESET", err);
  }
}

/** The small, well-formed body of an error response: "502 upstream connect failed\n". */
export function errorBody(err: HttpError): string {
  return `${err.status} ${err.message}\n`;
}
