// The listener's TLS policy as OpenSSL secure contexts: one context per certificate, all with the same
// versions, ciphers, groups, signature algorithms, client CA and ticket key, so that the certificate
// chosen by SNI never changes the policy and a ticket issued under one name resumes under another.
import { createHash } from "node:crypto";
import {
  createSecureContext,
  DEFAULT_CIPHERS,
  type SecureContext,
  type SecureContextOptions,
} from "node:tls";
import type { ListenerTlsConfig } from "../config/schema/tls.ts";
import { CertificateError, type LoadedCertificate, loadCaBundle } from "./certificates.ts";
import { SniTable } from "./sni-table.ts";

const VERSION = { "1.2": "TLSv1.2", "1.3": "TLSv1.3" } as const;
const DEFAULT_PARTS = DEFAULT_CIPHERS.split(":");
/** Node's defaults, split as OpenSSL keeps them: TLS 1.3 suites ("TLS_…") and the TLS 1.2 cipher list. */
const DEFAULT_SUITES_13 = DEFAULT_PARTS.filter((c) => c.startsWith("TLS_"));
const DEFAULT_CIPHERS_12 = DEFAULT_PARTS.filter((c) => !c.startsWith("TLS_"));
/** OpenSSL's SSL_OP_NO_TICKET: no session tickets issued. */
const SSL_OP_NO_TICKET = 0x4000;

export interface TlsPolicy {
  readonly options: SecureContextOptions;
  /** SSL_CTX session id context (at most 32 bytes). */
  readonly sessionId: string;
}

/** The policy common to every context of a listener. Reads the client CA file; throws CertificateError. */
export function listenerPolicy(listener: string, config: ListenerTlsConfig, ticketKeys: Buffer): TlsPolicy {
  // Node takes both lists in one string and splits them by the "TLS_" prefix; an empty TLS 1.3 part
  // would turn TLS 1.3 off, so each part falls back to the default on its own.
  const ciphers = [
    ...(config.ciphersuites ?? DEFAULT_SUITES_13),
    ...(config.ciphers ?? DEFAULT_CIPHERS_12),
  ].join(":");
  const options: SecureContextOptions = {
    minVersion: VERSION[config.min_version],
    maxVersion: VERSION[config.max_version],
    ciphers,
    honorCipherOrder: true,
    ticketKeys,
  };
  if (config.groups !== undefined) options.ecdhCurve = config.groups.join(":");
  if (config.sigalgs !== undefined) options.sigalgs = config.sigalgs.join(":");
  if (!config.session_tickets) options.secureOptions = SSL_OP_NO_TICKET;
  if (config.client_auth !== undefined) options.ca = loadCaBundle("client_auth.ca", config.client_auth.ca);
  return { options, sessionId: sessionIdContext(listener) };
}

/**
 * OpenSSL refuses to resume a session whose context id differs from the server's, and refuses any
 * resumption when client certificates are verified and no id is set; one id per listener.
 */
function sessionIdContext(listener: string): string {
  return createHash("sha256").update(`weir listener ${listener}`).digest("hex").slice(0, 32);
}

export interface CertificateSet {
  readonly certificates: readonly LoadedCertificate[];
  /** The context for a server name, exact then wildcard; undefined for no SNI or an unknown name. */
  readonly byName: SniTable<SecureContext>;
  /** The first certificate's context: clients without SNI or with an unknown name (unknown_sni = "default"). */
  readonly fallback: SecureContext;
}

/** One context per certificate under `policy`; throws CertificateError when OpenSSL refuses one. */
export function buildCertificateSet(
  certificates: readonly LoadedCertificate[],
  policy: TlsPolicy,
): CertificateSet {
  const byName = new SniTable<SecureContext>();
  const contexts = certificates.map((c) => {
    let ctx: SecureContext;
    try {
      ctx = createSecureContext({ ...policy.options, cert: c.cert, key: c.key });
    } catch (err) {
      throw new CertificateError(
        `${c.certPath}: refused by OpenSSL under this policy (${(err as Error).message})`,
      );
    }
    setSessionIdContext(ctx, policy.sessionId);
    for (const name of c.names) byName.add(name, ctx);
    return ctx;
  });
  return Object.freeze({ certificates, byName, fallback: contexts[0] as SecureContext });
}

/** tls.Server sets this on its own contexts; weir's contexts serve sockets built without a Server. */
export function setSessionIdContext(ctx: SecureContext, id: string): void {
  const native = (ctx as unknown as { context?: { setSessionIdContext?: (id: string) => void } }).context;
  native?.setSessionIdContext?.(id);
}
