import assert from "node:assert/strict";
import { test } from "node:test";
import { backoffMs, renewalDue } from "./renewal.ts";
import type { StoredCertificate } from "./store.ts";

const day = 86_400_000;
const now = Date.parse("2030-06-01T00:00:00Z");
const cert = (names: string[], notBefore: number, notAfter: number) =>
  ({ names, notBefore: new Date(notBefore), notAfter: new Date(notAfter) }) as unknown as StoredCertificate;

test("due 30 days before expiry by default, or N days after issuance", () => {
  const c = cert(["a.test"], now - 10 * day, now + 80 * day);
  const before = { renew_before_expiry: 30 * day, renew_after_issue: undefined };
  assert.deepEqual(renewalDue(c, ["a.test"], before, undefined, now), {
    at: new Date(now + 50 * day),
    reason: "window",
  });
  const after = { renew_before_expiry: 30 * day, renew_after_issue: 60 * day };
  assert.deepEqual(renewalDue(c, ["a.test"], after, undefined, now), {
    at: new Date(now + 50 * day),
    reason: "window",
  });
  const after20 = { ...after, renew_after_issue: 20 * day };
  assert.equal(renewalDue(c, ["a.test"], after20, undefined, now).at.getTime(), now + 10 * day);
});

test("missing, renamed or expired certificates are due now; ARI only brings renewal forward", () => {
  const cfg = { renew_before_expiry: 30 * day, renew_after_issue: undefined };
  assert.equal(renewalDue(undefined, ["a.test"], cfg, undefined, now).reason, "missing");
  const c = cert(["a.test"], now - day, now + 80 * day);
  assert.equal(renewalDue(c, ["a.test", "b.test"], cfg, undefined, now).reason, "names changed");
  assert.equal(renewalDue(c, ["a.test"], cfg, undefined, now).reason, "window");
  const expired = cert(["a.test"], now - 90 * day, now - 1);
  assert.equal(renewalDue(expired, ["a.test"], cfg, undefined, now).reason, "expired");
  const early = new Date(now + day);
  assert.deepEqual(renewalDue(c, ["a.test"], cfg, early, now), { at: early, reason: "ari" });
  const late = new Date(now + 70 * day);
  assert.equal(renewalDue(c, ["a.test"], cfg, late, now).reason, "window");
});

test("backoff doubles from retry_min up to retry_max", () => {
  assert.deepEqual(
    [1, 2, 3, 4, 10, 100].map((n) => backoffMs(n, 1_000, 6_000)),
    [1_000, 2_000, 4_000, 6_000, 6_000, 6_000],
  );
  assert.equal(backoffMs(0, 1_000, 6_000), 0);
});
