// TLS settings are checked when the config loads: names OpenSSL does not know, versions below 1.2 and
// half-given client certificates are errors with FILE:LINE:COL; files that cannot serve stop the start.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { loadConfig } from "../../src/config/load.ts";
import { formatProblem } from "../../src/config/problems.ts";
import { provision } from "../../src/generation.ts";
import { startListeners } from "../../src/process/serve.ts";
import { tempDir } from "../lib/weir-process.ts";
import { makeCa, makeLeaf } from "./certs.ts";

test("unknown cipher, suite, group and signature algorithm names are errors naming them, with their place", () => {
  const dir = tempDir("weir-tls-config-");
  const file = join(dir, "weir.toml");
  writeFileSync(
    file,
    `[listeners.edge]
address = "127.0.0.1:0"
[listeners.edge.tls]
certificates = [{ cert = "a.pem", key = "a.key" }]
min_version = "1.1"
ciphers = ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES999-GCM"]
ciphersuites = ["TLS_AES_128_GCM_SHA256", "TLS_NOPE"]
groups = ["X25519", "P-999"]
sigalgs = ["rsa_pss_rsae_sha256", "md5_rot13"]

[upstreams.u]
endpoints = ["127.0.0.1:1"]
tls = { cert = "client.pem" }
`,
  );
  const result = loadConfig({ file });
  assert.equal(result.ok, false);
  const lines = result.ok ? [] : result.problems.map(formatProblem);
  const expect = [
    /weir\.toml:5:\d+: listeners\.edge\.tls\.min_version: .*"1\.2"\|"1\.3"/,
    /weir\.toml:6:\d+: listeners\.edge\.tls\.ciphers\[1\]: TLS 1\.2 cipher "ECDHE-RSA-AES999-GCM" is not known to OpenSSL/,
    /weir\.toml:7:\d+: listeners\.edge\.tls\.ciphersuites\[1\]: TLS 1\.3 cipher suite "TLS_NOPE" is not known/,
    /weir\.toml:8:\d+: listeners\.edge\.tls\.groups\[1\]: key exchange group "P-999" is not known/,
    /weir\.toml:9:\d+: listeners\.edge\.tls\.sigalgs\[1\]: signature algorithm "md5_rot13" is not known/,
    /weir\.toml:13:\d+: upstreams\.u\.tls\.cert: cert and key go together/,
  ];
  for (const re of expect)
    assert.ok(
      lines.some((l) => re.test(l)),
      `${re} not in:\n${lines.join("\n")}`,
    );
  assert.equal(lines.length, expect.length, lines.join("\n"));
});

test("certificate paths resolve against the config's folder; a missing or mismatched file stops the start", async () => {
  const dir = tempDir("weir-tls-config-");
  const ca = makeCa(join(dir, "certs"));
  makeLeaf(ca, "a", ["a.test"]);
  makeLeaf(ca, "b", ["b.test"]);
  const file = join(dir, "weir.toml");
  const configWith = (cert: string, key: string) => {
    writeFileSync(
      file,
      `[log]\nlevel = "fatal"\n[listeners.edge]\naddress = "127.0.0.1:0"\n[listeners.edge.tls]\ncertificates = [{ cert = "${cert}", key = "${key}" }]\n[[routes]]\nrespond = { status = 204 }\n`,
    );
    const loaded = loadConfig({ file });
    assert.ok(loaded.ok);
    return loaded.config;
  };
  const good = configWith("certs/a.pem", "certs/a.key");
  assert.equal(good.listeners.edge?.tls?.certificates[0]?.cert, join(dir, "certs/a.pem"));
  const serving = await startListeners(provision(good), new Map([["edge", { host: "127.0.0.1", port: 0 }]]));
  await serving.close(0);
  const start = (config: typeof good) =>
    startListeners(provision(config), new Map([["edge", { host: "127.0.0.1", port: 0 }]]));
  await assert.rejects(
    start(configWith("certs/missing.pem", "certs/a.key")),
    /cannot read certificate.*missing\.pem/,
  );
  await assert.rejects(start(configWith("certs/a.pem", "certs/b.key")), /b\.key: this key does not belong/);
});
