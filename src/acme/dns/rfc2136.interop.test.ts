// RFC 2136 updates signed with TSIG against a real authoritative server (Knot DNS, started here).
import assert from "node:assert/strict";
import { Resolver } from "node:dns/promises";
import { test } from "node:test";
import { freePort, startKnot } from "../../../test/acme/harness.ts";
import { requirePrograms } from "../../../test/lib/peers.ts";
import { tempDir } from "../../../test/lib/weir-process.ts";
import type { Rfc2136Config } from "../../config/schema/acme.ts";
import { sendUpdate } from "../challenges/rfc2136.ts";
import { AcmeError } from "../errors.ts";

async function txt(server: string, name: string): Promise<string[]> {
  const r = new Resolver({ timeout: 1_000, tries: 2 });
  r.setServers([server]);
  try {
    return (await r.resolveTxt(name)).map((parts) => parts.join(""));
  } catch (err) {
    if (
      (err as NodeJS.ErrnoException).code === "ENODATA" ||
      (err as NodeJS.ErrnoException).code === "ENOTFOUND"
    )
      return [];
    throw err;
  }
}

test("TXT records are added and deleted by signed updates; bad keys are refused", async (t) => {
  if (!requirePrograms(t, "knotd")) return;
  const knot = await startKnot(tempDir("weir-knot-"), await freePort());
  t.after(() => knot.stop());
  const base: Rfc2136Config = {
    server: knot.server,
    zone: knot.zone,
    key_name: knot.keyName,
    key_algorithm: "hmac-sha256",
    key_secret: knot.secret,
    transport: "udp",
    ttl: 60,
  };
  const key = {
    name: base.key_name,
    algorithm: base.key_algorithm,
    secret: Buffer.from(base.key_secret, "base64"),
  };
  const name = "_acme-challenge.x.weir.test.";
  const change = { zone: base.zone, name, ttl: 60 };

  await sendUpdate(base, key, { ...change, action: "add", value: "first-value" });
  await sendUpdate({ ...base, transport: "tcp" }, key, { ...change, action: "add", value: "second-value" });
  assert.deepEqual((await txt(knot.server, name)).sort(), ["first-value", "second-value"]);

  // Deleting one value keeps the other (a wildcard and its base name validate at the same record).
  await sendUpdate(base, key, { ...change, action: "delete", value: "first-value" });
  assert.deepEqual(await txt(knot.server, name), ["second-value"]);

  const wrong = { ...key, secret: Buffer.alloc(32, 7) };
  await assert.rejects(
    sendUpdate(base, wrong, { ...change, action: "add", value: "forged" }),
    (err: unknown) =>
      err instanceof AcmeError && err.code === "DNS_UPDATE" && /NOTAUTH|BADSIG/.test(err.message),
  );
  const unknownKey = { ...key, name: "nobody-key" };
  await assert.rejects(
    sendUpdate(base, unknownKey, { ...change, action: "add", value: "forged" }),
    (err: unknown) => err instanceof AcmeError && /NOTAUTH|BADKEY/.test(err.message),
  );
  await assert.rejects(
    sendUpdate(base, key, { ...change, name: "_acme-challenge.other.example.", action: "add", value: "x" }),
    (err: unknown) => err instanceof AcmeError && /not in zone/.test(err.message),
  );
  assert.deepEqual(await txt(knot.server, name), ["second-value"]);
});
