import assert from "node:assert/strict";
import { test } from "node:test";
import { createSecureContext } from "node:tls";
import { acmeCertificateFor, acmeContextFor, applyAcmeSnapshot, http01Answer } from "./served.ts";

const cert = (names: string[]) => ({ names, key: "k", chain: "c" });

test("snapshots replace the whole state; older ones are ignored", () => {
  assert.ok(
    applyAcmeSnapshot({
      seq: 10,
      certificates: [cert(["a.test"]), cert(["*.w.test"])],
      http01: { tok: "tok.thumb" },
      alpn: [],
    }),
  );
  assert.equal(acmeCertificateFor("a.test")?.names[0], "a.test");
  assert.equal(acmeCertificateFor("x.w.test")?.names[0], "*.w.test");
  assert.equal(acmeCertificateFor("y.x.w.test"), undefined, "one label deep only");
  assert.equal(acmeCertificateFor("w.test"), undefined);
  assert.equal(http01Answer("/.well-known/acme-challenge/tok"), "tok.thumb");
  assert.equal(http01Answer("/.well-known/acme-challenge/tok?x=1"), "tok.thumb");
  assert.equal(http01Answer("/.well-known/acme-challenge/other"), undefined);
  assert.equal(http01Answer("/tok"), undefined);
  assert.equal(applyAcmeSnapshot({ seq: 9, certificates: [], http01: {}, alpn: [] }), false);
  assert.ok(acmeCertificateFor("a.test"));
  assert.ok(applyAcmeSnapshot({ seq: 11, certificates: [], http01: {}, alpn: [] }));
  assert.equal(acmeCertificateFor("a.test"), undefined);
  assert.equal(http01Answer("/.well-known/acme-challenge/tok"), undefined);
});

test("contexts are built once per certificate and builder; a builder that throws gives none", () => {
  applyAcmeSnapshot({ seq: 20, certificates: [cert(["a.test"])], http01: {}, alpn: [] });
  let built = 0;
  const build = () => {
    built++;
    return createSecureContext();
  };
  const first = acmeContextFor("a.test", build);
  assert.ok(first);
  assert.equal(acmeContextFor("a.test", build), first);
  assert.equal(built, 1);
  assert.equal(acmeContextFor("b.test", build), undefined);
  const failing = () => {
    throw new Error("refused");
  };
  assert.equal(acmeContextFor("a.test", failing), undefined);
  // A new snapshot with a new certificate object: built again.
  applyAcmeSnapshot({ seq: 21, certificates: [cert(["a.test"])], http01: {}, alpn: [] });
  assert.notEqual(acmeContextFor("a.test", build), first);
  assert.equal(built, 2);
});
