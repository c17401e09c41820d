// The supervisor's keeper and a worker's handed files, in one process: the keeper publishes a changed
// pair that checks out and keeps the last good bytes when a file breaks; a store built from handed
// bytes swaps certificates when the handed bytes change, and never reads the disk.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { readFileSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Registry } from "prom-client";
import { requirePrograms } from "../../test/lib/peers.ts";
import { tempDir } from "../../test/lib/weir-process.ts";
import { fingerprintOf, makeRotation, replacePair } from "../../test/tls/certs.ts";
import { loadConfig } from "../config/load.ts";
import { provision } from "../generation.ts";
import { CertificateStore } from "./certificate-store.ts";
import { listenerPolicy } from "./context.ts";
import { TlsFileKeeper } from "./file-keeper.ts";
import { installHandedFiles, readTlsFile, type TlsFileBytes, updateHandedFiles } from "./handed-files.ts";
import { certificateReloadsCounter } from "./metrics.ts";
import { ticketKeys } from "./ticket-keys.ts";

test("keeper: good changes are published, broken ones counted and refused; handed bytes drive a worker's store", async (t) => {
  if (!requirePrograms(t, "openssl")) return;
  const dir = tempDir("weir-tls-keeper-unit-");
  const { pki, first, second, live } = makeRotation(dir);
  const loaded = loadConfig({
    text: `[log]\nlevel = "fatal"\n[listeners.edge]\naddress = "127.0.0.1:0"\n[listeners.edge.tls]\ncertificates = [{ cert = "${live.cert}", key = "${live.key}" }]\nclient_auth = { ca = "${pki.ca}" }\nwatch_interval = "0s"\n[[routes]]\nrespond = { status = 204 }\n`,
  });
  assert.ok(loaded.ok);
  const config = loaded.config;
  const gen = provision(config);
  const registry = new Registry();
  const reloads = certificateReloadsCounter(registry);
  const count = async (result: string) =>
    (await reloads.get()).values.find((v) => v.labels.result === result)?.value ?? 0;

  const keeper = new TlsFileKeeper(config, { log: gen.log, reloads });
  t.after(() => keeper.close());
  const published: TlsFileBytes[] = [];
  keeper.publish = (files) => published.push(files);
  assert.deepEqual(Object.keys(keeper.files()).sort(), [live.cert, live.key, pki.ca].sort());
  assert.ok(Buffer.from(keeper.files()[live.key] as Uint8Array).equals(readFileSync(first.key)));
  // What a worker forked now would be handed (it plays the worker below, once the keeper is done: this
  // process then reads every TLS file from the handed table, as a worker does).
  const atFork = keeper.files();

  // Broken on disk: nothing published, counted, the last good bytes stay.
  writeFileSync(live.cert, "-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n");
  keeper.refresh();
  keeper.refresh(); // the same broken file is refused once, not at every poll
  assert.equal(published.length, 0);
  assert.equal(await count("failed"), 1);
  assert.ok(Buffer.from(keeper.files()[live.cert] as Uint8Array).equals(readFileSync(first.cert)));

  // Fixed: the new pair is published. The files then disappear, which a worker never notices.
  replacePair(live, second);
  keeper.refresh();
  assert.equal(published.length, 1);
  assert.deepEqual(Object.keys(published[0] as TlsFileBytes).sort(), [live.cert, live.key].sort());
  assert.equal(await count("success"), 1);
  // Touched, same bytes (a copy that sets the mtime after writing, `touch`): not another reload.
  const later = new Date(Date.now() + 5_000);
  utimesSync(live.cert, later, later);
  utimesSync(live.key, later, later);
  keeper.refresh();
  assert.equal(published.length, 1, "nothing new to publish");
  assert.equal(await count("success"), 1, "an unchanged pair is not counted as a reload");
  unlinkSync(live.cert);
  unlinkSync(live.key);

  // A worker: handed the keeper's bytes, it builds its store from them, never from the files.
  installHandedFiles(atFork);
  const tls = config.listeners.edge?.tls;
  assert.ok(tls !== undefined);
  const store = new CertificateStore(
    "edge",
    tls,
    listenerPolicy("edge", tls, ticketKeys("edge", undefined)),
    gen.log,
  );
  t.after(() => store.close());
  const served = () => new X509Certificate(store.current.certificates[0]?.cert as Buffer).fingerprint256;
  assert.equal(served(), fingerprintOf(first.cert));
  assert.throws(() => readTlsFile(join(dir, "other.pem")), /not handed over by the supervisor/);

  updateHandedFiles(published[0] as TlsFileBytes);
  assert.equal(served(), fingerprintOf(second.cert), "the handed pair serves; the files on disk are gone");
});
