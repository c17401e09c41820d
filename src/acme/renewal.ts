// When a certificate is due for renewal. From the config: `renew_after_issue` after notBefore when set,
// else `renew_before_expiry` before notAfter. When the CA offers ARI (RFC 9773) its suggested window
// wins if it asks for an earlier renewal (a revocation ahead, a shortened lifetime); a window that only
// starts later never delays the configured time. A certificate whose names differ from the config's is
// due now, as is one that has expired.
import type { AcmeConfig } from "../config/schema/acme.ts";
import type { StoredCertificate } from "./store.ts";

export interface DueTime {
  at: Date;
  /** Why: "missing", "names changed", "expired", "window" (configured), "ari". */
  reason: "missing" | "names changed" | "expired" | "window" | "ari";
}

export function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((n) => set.has(n));
}

export function renewalDue(
  cert: StoredCertificate | undefined,
  names: readonly string[],
  config: Pick<AcmeConfig, "renew_before_expiry" | "renew_after_issue">,
  ariTime: Date | undefined,
  now = Date.now(),
): DueTime {
  if (cert === undefined) return { at: new Date(now), reason: "missing" };
  if (!sameNames(cert.names, names)) return { at: new Date(now), reason: "names changed" };
  if (cert.notAfter.getTime() <= now) return { at: new Date(now), reason: "expired" };
  const configured =
    config.renew_after_issue !== undefined
      ? cert.notBefore.getTime() + config.renew_after_issue
      : cert.notAfter.getTime() - config.renew_before_expiry;
  if (ariTime !== undefined && ariTime.getTime() < configured) return { at: ariTime, reason: "ari" };
  return { at: new Date(configured), reason: "window" };
}

/** Wait after the `failures`-th consecutive failure: retry_min doubled each time, at most retry_max. */
export function backoffMs(failures: number, retryMin: number, retryMax: number): number {
  if (failures <= 0) return 0;
  return Math.min(retryMax, retryMin * 2 ** Math.min(failures - 1, 30));
}
