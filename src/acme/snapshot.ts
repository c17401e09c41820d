// What the supervisor tells the workers about ACME, over the IPC channel (structured clone): the
// certificates to serve and the challenges to answer, always as one whole snapshot so that a worker
// swaps everything at once and never serves a half-updated set. `seq` grows with every change; the
// worker acknowledges it (AcmeApplied) so the supervisor knows the CA may now look.

export interface SnapshotCertificate {
  /** SAN DNS names, lower case; "*.x" for wildcards. */
  names: string[];
  /** PEM private key. */
  key: string;
  /** PEM chain as issued (leaf first). */
  chain: string;
}

export interface AlpnChallengeCertificate {
  /** The identifier being validated (never a wildcard: RFC 8737 §3 forbids them). */
  name: string;
  key: string;
  cert: string;
}

export interface AcmeSnapshot {
  seq: number;
  certificates: SnapshotCertificate[];
  /** HTTP-01 token → key authorization, for the tokens weir is waiting on. */
  http01: Record<string, string>;
  alpn: AlpnChallengeCertificate[];
}

export interface AcmeMessage {
  type: "acme";
  snapshot: AcmeSnapshot;
}

export interface AcmeApplied {
  type: "acme-applied";
  seq: number;
}

export const EMPTY_SNAPSHOT: AcmeSnapshot = Object.freeze({ seq: 0, certificates: [], http01: {}, alpn: [] });

export function isAcmeApplied(m: unknown): m is AcmeApplied {
  return typeof m === "object" && m !== null && (m as { type?: unknown }).type === "acme-applied";
}
