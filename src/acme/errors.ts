// One error class for everything ACME: a stable `code` to count and log by, and the step that failed.
// Nothing in src/acme throws anything else out of its API.

export const ACME_ERROR_CODES = [
  /** The state folder or one of its files cannot be read or written. */
  "STATE",
  /** Another instance holds the lock of this certificate (not a failure: it is ordering it). */
  "LOCKED",
  /** The CA could not be reached or answered with an error (account, order, finalize, download). */
  "CA",
  /** A challenge could not be published (hook failed, DNS update refused) or the CA refused it. */
  "CHALLENGE",
  /** A DNS UPDATE got no answer or an error rcode, or its TSIG did not verify. */
  "DNS_UPDATE",
  /** The certificate the CA returned does not fit (names, key). */
  "CERTIFICATE",
] as const;

export type AcmeErrorCode = (typeof ACME_ERROR_CODES)[number];

export class AcmeError extends Error {
  readonly code: AcmeErrorCode;
  constructor(code: AcmeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "AcmeError";
    this.code = code;
  }
}

/** Any thrown value as an AcmeError of `code` (kept as is when it already is one). */
export function asAcmeError(err: unknown, code: AcmeErrorCode, context: string): AcmeError {
  if (err instanceof AcmeError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AcmeError(code, `${context}: ${message}`, { cause: err });
}
