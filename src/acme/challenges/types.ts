// A challenge solver publishes what the CA will look at and removes it again (RFC 8555 §8).

export type ChallengeType = "http-01" | "tls-alpn-01" | "dns-01";

export interface ChallengeParams {
  /** The identifier's name without "*." (RFC 8555 §7.1.3: wildcard authorizations name the base). */
  domain: string;
  wildcard: boolean;
  token: string;
  /**
   * What the CA expects: the key authorization (§8.1) for HTTP-01 and TLS-ALPN-01, its base64url
   * SHA-256 digest (§8.4) for DNS-01.
   */
  keyAuthorization: string;
}

export interface ChallengeSolver {
  readonly type: ChallengeType;
  /** Publishes the answer; resolves once the CA may look. Rejects with AcmeError("CHALLENGE"). */
  present(params: ChallengeParams): Promise<void>;
  /** Removes it again; never rejects (a failed cleanup is logged by the caller's onError). */
  cleanup(params: ChallengeParams): Promise<void>;
}

/** RFC 8555 §8.4: the DNS-01 record name. */
export function dnsRecordName(domain: string): string {
  return `_acme-challenge.${domain}.`;
}
