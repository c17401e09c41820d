// Session ticket keys (RFC 5077; RFC 8446 §4.6.1 for TLS 1.3). A resumed session only works when the
// process that receives the ticket can decrypt it, so every worker of a listener must hold the same key:
// - `session_ticket_key` names a file of 48 random bytes, shared by whoever reads it (several machines);
// - otherwise the key is derived (HKDF-SHA256, RFC 5869) from a random secret in the environment variable
//   WEIR_TLS_TICKET_SECRET and the listener's name. `ensureTicketSecret()` puts one there when absent; a
//   process that calls it before forking its workers gives them all the same secret (they inherit the
//   environment). A worker that finds none makes its own, and tickets then resume only on that worker.
// The key file is read through handed-files.ts: a worker gets its bytes from the supervisor.
import { hkdfSync, randomBytes } from "node:crypto";
import { CertificateError } from "./certificates.ts";
import { readTlsFile } from "./handed-files.ts";

/** Node's ticket key size: 16 bytes key name, 16 bytes HMAC secret, 16 bytes AES key. */
export const TICKET_KEY_BYTES = 48;
export const TICKET_SECRET_ENV = "WEIR_TLS_TICKET_SECRET";

/** The ticket secret of this process tree, made (32 random bytes, hex) when the environment has none. */
export function ensureTicketSecret(): string {
  let secret = process.env[TICKET_SECRET_ENV];
  if (secret === undefined || secret.length < 32) {
    secret = randomBytes(32).toString("hex");
    process.env[TICKET_SECRET_ENV] = secret;
  }
  return secret;
}

/** The 48-byte ticket key of `listener`: read from `keyFile`, or derived from the process tree's secret. */
export function ticketKeys(listener: string, keyFile: string | undefined): Buffer {
  if (keyFile !== undefined) return ticketKeyOf(keyFile, readTicketKeyFile(keyFile));
  const secret = ensureTicketSecret();
  return Buffer.from(
    hkdfSync("sha256", secret, "weir session tickets", `listener ${listener}`, TICKET_KEY_BYTES),
  );
}

/** The bytes of a session_ticket_key file; throws CertificateError. */
export function readTicketKeyFile(keyFile: string): Buffer {
  try {
    return readTlsFile(keyFile);
  } catch (err) {
    throw new CertificateError(`cannot read session_ticket_key: ${(err as Error).message}`);
  }
}

/** The key in a session_ticket_key file's bytes; throws CertificateError when it is too short. */
export function ticketKeyOf(keyFile: string, bytes: Buffer): Buffer {
  if (bytes.length < TICKET_KEY_BYTES)
    throw new CertificateError(
      `${keyFile}: a session ticket key needs ${TICKET_KEY_BYTES} bytes, the file has ${bytes.length}`,
    );
  return bytes.subarray(0, TICKET_KEY_BYTES);
}
