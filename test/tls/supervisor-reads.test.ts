// The supervisor reads every TLS file the config names (certificates, keys, client CA bundles, session
// ticket keys, upstream CA bundles and client certificates) and hands the bytes to the workers, against a
// real ./bin/weir:
// - workers never read them: a root-only 0600 key in a root-only folder serves under system.user = nobody;
// - a broken file at start stops weir before it binds or forks anything, exit 2, one line naming it;
// - file polling is the supervisor's: a broken file keeps the last good bytes, counted in
//   weir_tls_certificate_reloads_total{listener,result}, and a worker that dies meanwhile is replaced
//   with those bytes, so a broken file never leaves a worker slot empty; a good file reaches every worker.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import { join } from "node:path";
import { test } from "node:test";
import type { TLSSocket } from "node:tls";
import { runWeir, tempDir, writeConfig } from "../lib/weir-process.ts";
import { childrenOf, idsOf, isRoot, waitUntil } from "../process/harness.ts";
import { fingerprintOf, makeCa, makeLeaf, makeRotation, replacePair } from "./certs.ts";
import { edgeTlsToml, eventually, openTls, servedFingerprint, startTlsWeir } from "./harness.ts";

const NOBODY = 65534;
const inCi = process.env.CI === "true";
const rootReason = isRoot ? false : "needs root (root-only files, workers switch to nobody)";
/** Workers as nobody when the tests run as root (they do here), else as the launching user. */
const workersUser = isRoot ? 'user = "nobody"\ngroup = "nogroup"\n' : "";

/** One HTTP/1.1 request on a fresh socket, closed after the response; resolves the whole reply. */
function request(s: TLSSocket, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = "";
    s.on("data", (c: Buffer) => {
      got += c;
    });
    s.once("close", () => resolve(got));
    s.once("error", reject);
    s.write(`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  });
}

test("root-only 0600 keys, CA bundles and ticket key: the supervisor reads them, workers as nobody serve with them", {
  skip: !inCi && rootReason,
}, async (t) => {
  // mkdtemp makes a 0700 folder: like /etc/letsencrypt/archive, nobody cannot even look inside.
  const dir = tempDir("weir-tls-rootonly-");
  const pki = makeCa(join(dir, "pki"));
  const site = makeLeaf(pki, "site", ["a.test"]);
  const alice = makeLeaf(pki, "alice", ["alice"], { client: true });
  const origin = makeLeaf(pki, "origin", ["origin.test"]);
  const weirClient = makeLeaf(pki, "weir-client", ["weir-client"], { client: true });
  const ticketKey = join(dir, "ticket.key");
  writeFileSync(ticketKey, randomBytes(48));
  for (const f of [site.cert, site.key, weirClient.cert, weirClient.key, pki.ca, ticketKey])
    chmodSync(f, 0o600);
  const asNobody = spawnSync("setpriv", [
    `--reuid=${NOBODY}`,
    `--regid=${NOBODY}`,
    "--clear-groups",
    "--",
    "cat",
    site.key,
  ]);
  assert.notEqual(asNobody.status, 0, "nobody cannot read the key: the test proves something");

  // An HTTPS origin that wants weir's client certificate (mTLS upstream).
  const originServer = createHttpsServer(
    {
      cert: readFileSync(origin.cert),
      key: readFileSync(origin.key),
      ca: readFileSync(pki.ca),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      const subject = (req.socket as TLSSocket).getPeerX509Certificate()?.subject ?? "";
      res.end(`origin saw ${subject.split("\n").find((l) => l.startsWith("CN=")) ?? "nothing"}`);
    },
  );
  await new Promise<void>((r) => originServer.listen(0, "127.0.0.1", r));
  t.after(() => originServer.close());
  const originPort = (originServer.address() as { port: number }).port;

  const { weir, port } = await startTlsWeir(
    t,
    `[system]
workers = 1
user = "nobody"
group = "nogroup"
[access_log]
enabled = false
${edgeTlsToml(site, [`client_auth = { ca = "${pki.ca}", mode = "required" }`, `session_ticket_key = "${ticketKey}"`])}[[routes]]
upstream = "origin"
[upstreams.origin]
endpoints = ["127.0.0.1:${originPort}"]
tls = { ca = "${pki.ca}", server_name = "origin.test", cert = "${weirClient.cert}", key = "${weirClient.key}" }
`,
    dir,
  );
  const workers = childrenOf(weir.child.pid as number);
  assert.equal(workers.length, 1);
  assert.equal(idsOf(workers[0] as number).uids[1], NOBODY, "the worker runs as nobody");

  const s = await openTls(port, readFileSync(pki.ca), { client: alice });
  assert.equal(
    s.getPeerX509Certificate()?.fingerprint256,
    fingerprintOf(site.cert),
    "the root-only pair serves",
  );
  const reply = await request(s, "a.test");
  assert.match(reply, /^HTTP\/1\.1 200/, reply);
  assert.match(reply, /origin saw CN=weir-client/, "the upstream got weir's root-only client certificate");
  // A client without a certificate is refused: the root-only client CA bundle is in force.
  await assert.rejects(
    openTls(port, readFileSync(pki.ca)).then((c) => request(c, "a.test")),
    (err: unknown) => err !== undefined,
  );
  assert.equal(await weir.stop(), 0);
});

test("a broken TLS file at start: exit 2 before anything is bound or forked, one line naming it", async () => {
  const dir = tempDir("weir-tls-broken-start-");
  const pki = makeCa(join(dir, "pki"));
  const a = makeLeaf(pki, "a", ["a.test"]);
  const b = makeLeaf(pki, "b", ["b.test"]);
  const garbage = join(dir, "garbage.pem");
  writeFileSync(garbage, "not a PEM file\n");
  const cases: { what: string; tls: string; upstream?: string; names: RegExp }[] = [
    {
      what: "a key of another certificate",
      tls: `certificates = [{ cert = "${a.cert}", key = "${b.key}" }]`,
      names: /^weir: listener "edge": .*b\.key: this key does not belong to the certificate .*a\.pem\n$/,
    },
    {
      what: "a missing certificate",
      tls: `certificates = [{ cert = "${join(dir, "missing.pem")}", key = "${a.key}" }]`,
      names: /^weir: listener "edge": .*missing\.pem/,
    },
    {
      what: "a client CA bundle that holds no certificate",
      tls: `certificates = [{ cert = "${a.cert}", key = "${a.key}" }]\nclient_auth = { ca = "${garbage}" }`,
      names: /^weir: listener "edge": .*garbage\.pem: /,
    },
    {
      what: "a missing upstream client key",
      tls: `certificates = [{ cert = "${a.cert}", key = "${a.key}" }]`,
      upstream: `tls = { cert = "${a.cert}", key = "${join(dir, "nokey.key")}" }`,
      names: /^weir: upstream "u": .*tls\.key.*nokey\.key/,
    },
  ];
  for (const c of cases) {
    const file = writeConfig(
      `[system]\nworkers = 1\n${workersUser}[listeners.edge]\naddress = "127.0.0.1:0"\n[listeners.edge.tls]\n${c.tls}\n[[routes]]\nupstream = "u"\n[upstreams.u]\nendpoints = ["127.0.0.1:1"]\n${c.upstream ?? ""}\n`,
      dir,
    );
    const { code, stdout, stderr } = await runWeir(["run", "-c", file]);
    assert.equal(code, 2, `${c.what}: exit 2 (a config error)\n${stdout}${stderr}`);
    assert.match(stderr, c.names, `${c.what}: one line naming the file`);
    assert.equal(stderr.trim().split("\n").length, 1, `${c.what}: one line: ${stderr}`);
    assert.doesNotMatch(stdout + stderr, /"worker forked"|"listening"/, `${c.what}: nothing started`);
  }
});

test("a broken certificate file never empties a worker slot: replacements get the last good bytes; fixed files reach every worker", async (t) => {
  const dir = tempDir("weir-tls-keeper-");
  const { pki, first, second, live } = makeRotation(dir);
  const ca = readFileSync(pki.ca);
  const w = await startTlsWeir(
    t,
    `[system]
workers = 2
${workersUser}[admin]
listen = "127.0.0.1:0"
[access_log]
enabled = false
${edgeTlsToml(live, ['watch_interval = "100ms"'])}[[routes]]
respond = { status = 200, body = "served" }
`,
    dir,
  );
  const { weir, port, output } = w;
  const supervisor = weir.child.pid as number;
  assert.equal(await servedFingerprint(port, ca), fingerprintOf(first.cert));
  const reloads = (result: string) =>
    w.metric("weir_tls_certificate_reloads_total", { listener: "edge", result });
  // On a failure, the supervisor's reload lines say which poll saw what.
  const reloadLines = () => w.lines(/"role":"supervisor".*certificate reload/).join("\n");

  // Broken on disk: the supervisor's poll refuses it, names the file and counts it.
  writeFileSync(live.cert, "-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n");
  const failedLine = await weir.waitFor(/"level":"error".*TLS certificate reload failed/, 5_000);
  assert.match(failedLine, /"role":"supervisor"/, "the supervisor read the file, not a worker");
  assert.ok(failedLine.includes(live.cert), `the error names the file: ${failedLine}`);
  assert.equal(await reloads("failed"), 1, reloadLines());

  // Every worker dies while the file is broken: the replacements serve the last good certificate.
  const victims = childrenOf(supervisor);
  assert.equal(victims.length, 2);
  for (const pid of victims) process.kill(pid, "SIGKILL");
  await waitUntil(() => w.lines(/"worker replaced"/).length >= 2, 10_000, "both replaced");
  const replacements = childrenOf(supervisor);
  assert.equal(replacements.length, 2, "no slot left empty");
  for (const pid of victims) assert.ok(!replacements.includes(pid));
  assert.doesNotMatch(output(), /"replacement worker failed"/);
  for (let i = 0; i < 6; i++)
    assert.equal(await servedFingerprint(port, ca), fingerprintOf(first.cert), "the last good certificate");

  // Fixed: the new pair reaches both workers; one success is counted, the failure stays counted once.
  replacePair(live, second);
  const seen = await eventually(
    () => Promise.all(Array.from({ length: 8 }, () => servedFingerprint(port, ca))),
    (fps) => fps.every((fp) => fp === fingerprintOf(second.cert)),
  );
  assert.deepEqual(new Set(seen), new Set([fingerprintOf(second.cert)]), "every worker serves the new one");
  assert.equal(await reloads("success"), 1, reloadLines());
  assert.equal(await reloads("failed"), 1, reloadLines());
  assert.equal(await weir.stop(), 0);
});
