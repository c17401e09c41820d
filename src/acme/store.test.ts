import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "../../test/lib/weir-process.ts";
import { AcmeError } from "./errors.ts";
import { AcmeStore, certificateId } from "./store.ts";

test("folders are 0700, files 0600, writes leave no temporary files; ids spell wildcards", () => {
  const dir = join(tempDir("weir-store-"), "state");
  const store = new AcmeStore(dir);
  store.prepare();
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  const key = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({
    type: "pkcs8",
    format: "pem",
  });
  assert.equal(store.saveAccountKey(Buffer.from(key)).toString(), key);
  // A second instance's key does not replace the first.
  assert.equal(store.saveAccountKey(Buffer.from("other")).toString(), key);
  assert.equal(statSync(store.accountKeyPath).mode & 0o777, 0o600);
  store.saveAccount({ directory: "https://ca.test/dir", url: "https://ca.test/acct/1" });
  assert.deepEqual(store.readAccount(), { directory: "https://ca.test/dir", url: "https://ca.test/acct/1" });
  assert.deepEqual(readdirSync(dir).sort(), ["account.json", "account.key", "certificates", "locks"]);
  assert.equal(certificateId(["*.w.test", "w.test"]), "_wildcard.w.test");
  assert.equal(store.readCertificate("none"), undefined);
});

test("a bundle whose key does not match its certificate is refused", () => {
  const store = new AcmeStore(join(tempDir("weir-store-"), "state"));
  store.prepare();
  writeFileSync(store.certificatePath("x"), "not pem");
  assert.throws(
    () => store.readCertificate("x"),
    (e: unknown) => e instanceof AcmeError && e.code === "CERTIFICATE",
  );
  assert.throws(
    () => store.saveCertificate("y", "-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----", "x"),
    AcmeError,
  );
  assert.equal(store.readCertificate("y"), undefined, "nothing written");
});
