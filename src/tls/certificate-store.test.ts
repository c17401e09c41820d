// A store that polls the disk reads a changed pair only once its files held still for one poll, so a
// replacement written one file after the other (`cp` of the key, then of the certificate; a copy between
// its truncate and its write) is neither refused nor swapped in twice. Polls are driven by hand here
// (watch_interval = "0s" starts no timer): refresh({ whenStill: true }) is what the timer calls.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { copyFileSync, utimesSync, writeFileSync } from "node:fs";
import { test } from "node:test";
import { requirePrograms } from "../../test/lib/peers.ts";
import { tempDir } from "../../test/lib/weir-process.ts";
import { fingerprintOf, makeLeaf, makeRotation } from "../../test/tls/certs.ts";
import { loadConfig } from "../config/load.ts";
import { provision } from "../generation.ts";
import { CertificateStore } from "./certificate-store.ts";
import { listenerPolicy } from "./context.ts";
import { ticketKeys } from "./ticket-keys.ts";

test("a poll reads a changed pair once it held still: half-copied pairs are neither refused nor swapped in twice", (t) => {
  if (!requirePrograms(t, "openssl")) return;
  const dir = tempDir("weir-tls-store-");
  const { pki, first, second, live } = makeRotation(dir);
  const third = makeLeaf(pki, "third", ["a.test"]);
  const loaded = loadConfig({
    text: `[log]\nlevel = "fatal"\n[listeners.edge]\naddress = "127.0.0.1:0"\n[listeners.edge.tls]\ncertificates = [{ cert = "${live.cert}", key = "${live.key}" }]\nwatch_interval = "0s"\n[[routes]]\nrespond = { status = 204 }\n`,
  });
  assert.ok(loaded.ok);
  const tls = loaded.config.listeners.edge?.tls;
  assert.ok(tls !== undefined);
  const gen = provision(loaded.config);
  const events = { reloaded: 0, failed: 0 };
  const store = new CertificateStore(
    "edge",
    tls,
    listenerPolicy("edge", tls, ticketKeys("edge", undefined)),
    gen.log,
    { reloaded: () => events.reloaded++, failed: () => events.failed++ },
  );
  t.after(() => store.close());
  const poll = () => store.refresh({ whenStill: true });
  // Each write gets its own mtime: these steps run within one tick of the file system's clock, where
  // files of the same size would otherwise look unchanged (in life, writes are seconds apart).
  let tick = Date.now() / 1000 + 10;
  const place = (from: string | undefined, to: string) => {
    if (from === undefined) writeFileSync(to, "");
    else copyFileSync(from, to);
    tick += 1;
    utimesSync(to, tick, tick);
  };
  const served = () => new X509Certificate(store.current.certificates[0]?.cert as Buffer).fingerprint256;

  // The key is in place, the certificate not yet: this poll only notes the change.
  place(second.key, live.key);
  assert.equal(poll(), false);
  assert.deepEqual(events, { reloaded: 0, failed: 0 }, "a pair caught half-copied is not refused");
  // The certificate follows before the next poll, which sees the files moved again and waits once more.
  place(second.cert, live.cert);
  assert.equal(poll(), false);
  assert.equal(served(), fingerprintOf(first.cert));
  assert.equal(poll(), true, "held still: read and swapped in");
  assert.equal(served(), fingerprintOf(second.cert));
  assert.equal(poll(), false);
  assert.deepEqual(events, { reloaded: 1, failed: 0 }, "one replacement, one reload");

  // A certificate caught between a copy's truncate and its write is empty; it is read once written.
  place(undefined, live.cert);
  assert.equal(poll(), false);
  place(third.key, live.key);
  place(third.cert, live.cert);
  assert.equal(poll(), false);
  assert.equal(poll(), true);
  assert.equal(served(), fingerprintOf(third.cert));
  assert.deepEqual(events, { reloaded: 2, failed: 0 });

  // A pair left mismatched for a whole interval is refused once, and the last good one serves on.
  place(first.key, live.key);
  poll();
  assert.equal(poll(), false);
  assert.equal(poll(), false);
  assert.deepEqual(events, { reloaded: 2, failed: 1 });
  assert.equal(served(), fingerprintOf(third.cert));

  // An explicit refresh (a test, the keeper's refresh()) reads at once.
  place(first.cert, live.cert);
  assert.equal(store.refresh(), true);
  assert.equal(served(), fingerprintOf(first.cert));
});
