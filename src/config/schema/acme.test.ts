import assert from "node:assert/strict";
import { test } from "node:test";
import { loadConfig } from "../load.ts";

const base = `
[acme]
accept_terms = true
[[acme.certificates]]
names = ["a.test"]
`;
const problems = (text: string) => {
  const r = loadConfig({ text });
  return r.ok ? [] : r.problems.map((p) => `${p.key}: ${p.message}`);
};

test("defaults: Let's Encrypt, 30 days before expiry, HTTP-01, state beside the config", () => {
  const r = loadConfig({ text: base });
  assert.ok(r.ok);
  const acme = r.config.acme;
  assert.equal(acme?.directory, "letsencrypt");
  assert.equal(acme?.renew_before_expiry, 30 * 86_400_000);
  assert.equal(acme?.renew_after_issue, undefined);
  assert.equal(acme?.certificates[0]?.challenge, "http-01");
  assert.ok(acme?.state_dir.endsWith("/acme-state"));
});

test("terms must be accepted; wildcards need dns-01, which needs one hook or rfc2136", () => {
  assert.match(
    problems(base.replace("accept_terms = true", "accept_terms = false")).join("\n"),
    /accept_terms/,
  );
  assert.match(
    problems(base.replace('"a.test"', '"*.a.test"')).join("\n"),
    /wildcard names can only be validated/,
  );
  assert.match(
    problems(base.replace('names = ["a.test"]', 'names = ["a.test"]\nchallenge = "dns-01"')).join("\n"),
    /exactly one of dns_hook or rfc2136/,
  );
  assert.match(
    problems(`${base}[[acme.certificates]]\nnames = ["a.test"]\n`).join("\n"),
    /already on certificates\[0\]/,
  );
  assert.match(
    problems(base.replace("accept_terms = true", 'accept_terms = true\ndirectory = "lets-encrypt"')).join(
      "\n",
    ),
    /letsencrypt-staging/,
  );
  assert.match(
    problems(`${base}rfc2136 = { server = "x", zone = "a", key_name = "k", key_secret = "!!" }`).join("\n"),
    /host:port|base64|only used/,
  );
});

test("a TLS listener may have only acme certificates", () => {
  const listener = `${base}[listeners.tls]\naddress = "127.0.0.1:0"\ntls = { acme = true }\n`;
  assert.deepEqual(problems(listener), []);
  assert.match(
    problems(listener.replace("acme = true", 'alpn = ["h2"]')).join("\n"),
    /needs certificates, or acme = true/,
  );
});
