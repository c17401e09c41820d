// Peers of the ACME tests, started on loopback by the tests themselves:
// - pebble (Let's Encrypt's test CA, Debian's `pebble`), with its own HTTPS certificate made here by
//   openssl and signed by a CA the test hands to weir as `directory_ca`;
// - pebble-challtestsrv as pebble's DNS server (every name → 127.0.0.1, TXT records set over its
//   management API, which the contract's dns-hook.sh calls with curl);
// - knotd (Debian's `knot`) as an authoritative server for weir.test that accepts TSIG-signed RFC 2136
//   updates, for the rfc2136 cases.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { connect as tlsConnect } from "node:tls";
import { requirePrograms } from "../lib/peers.ts";
import { startWeir, type WeirProcess, writeConfig } from "../lib/weir-process.ts";

export interface Daemon {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `cmd`, resolving once `ready` shows in its output. */
export function startDaemon(
  cmd: string,
  args: string[],
  ready: RegExp,
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<Daemon> {
  const child = spawn(cmd, args, {
    env: { ...process.env, ...opts.env },
    cwd: opts.cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const daemon: Daemon = {
    child,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 3_000);
      await exited;
      clearTimeout(killer);
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void daemon.stop();
      reject(new Error(`${cmd} did not start:\n${out}`));
    }, opts.timeoutMs ?? 10_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve(daemon);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} exited (${code}) before it was ready:\n${out}`));
    });
  });
}

/** A TCP port free right now on 127.0.0.1 (for peers whose ports must be known before they start). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

export interface Ca {
  caCert: string;
  serverCert: string;
  serverKey: string;
}

/**
 * A CA and a certificate for 127.0.0.1 / localhost signed by it: pebble's own HTTPS. Files are
 * `${prefix}server-ca.pem`, `${prefix}server.pem`, `${prefix}server.key` in `dir`.
 */
export function makeServerCa(dir: string, prefix = ""): Ca {
  const p = (name: string) => join(dir, `${prefix}${name}`);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  openssl(
    "req",
    "-x509",
    ...ec,
    "-days",
    "2",
    "-subj",
    "/CN=weir test ACME server CA",
    "-keyout",
    p("server-ca.key"),
    "-out",
    p("server-ca.pem"),
  );
  writeFileSync(p("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl("req", ...ec, "-subj", "/CN=127.0.0.1", "-keyout", p("server.key"), "-out", p("server.csr"));
  openssl(
    "x509",
    "-req",
    "-in",
    p("server.csr"),
    "-CA",
    p("server-ca.pem"),
    "-CAkey",
    p("server-ca.key"),
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    p("server.ext"),
    "-out",
    p("server.pem"),
  );
  return { caCert: p("server-ca.pem"), serverCert: p("server.pem"), serverKey: p("server.key") };
}

export interface PebbleOptions {
  dir: string;
  ca: Ca;
  port: number;
  managementPort: number;
  httpPort: number;
  tlsPort: number;
  /** host:port of the DNS server pebble resolves names with. */
  dnsServer: string;
  /** Seconds a certificate is valid (pebble's certificateValidityPeriod). */
  validitySeconds?: number;
}

export interface Pebble extends Daemon {
  directory: string;
  /** PEM of pebble's root (management API /roots/0), the anchor of every certificate it issues. */
  root(): Promise<string>;
}

export async function startPebble(o: PebbleOptions): Promise<Pebble> {
  const config = join(o.dir, `pebble-${o.port}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${o.port}`,
        managementListenAddress: `127.0.0.1:${o.managementPort}`,
        certificate: o.ca.serverCert,
        privateKey: o.ca.serverKey,
        httpPort: o.httpPort,
        tlsPort: o.tlsPort,
        ocspResponderURL: "",
        externalAccountBindingRequired: false,
        ...(o.validitySeconds ? { certificateValidityPeriod: o.validitySeconds } : {}),
      },
    }),
  );
  const d = await startDaemon(
    "pebble",
    ["-config", config, "-dnsserver", o.dnsServer],
    /ACME directory available/,
    {
      env: { PEBBLE_VA_NOSLEEP: "1", PEBBLE_WFE_NONCEREJECT: "0", PEBBLE_AUTHZREUSE: "0" },
    },
  );
  return {
    ...d,
    directory: `https://127.0.0.1:${o.port}/dir`,
    async root() {
      return execFileSync(
        "curl",
        ["-sf", "--cacert", o.ca.caCert, `https://127.0.0.1:${o.managementPort}/roots/0`],
        {
          encoding: "utf8",
        },
      );
    },
  };
}

export interface ChallTestSrv extends Daemon {
  dns: string;
  management: string;
}

export async function startChallTestSrv(dnsPort: number, managementPort: number): Promise<ChallTestSrv> {
  const d = await startDaemon(
    "pebble-challtestsrv",
    [
      "-dns01",
      `127.0.0.1:${dnsPort}`,
      "-management",
      `127.0.0.1:${managementPort}`,
      "-http01",
      "",
      "-https01",
      "",
      "-tlsalpn01",
      "",
      "-defaultIPv4",
      "127.0.0.1",
      "-defaultIPv6",
      "",
    ],
    /Starting management server/,
  );
  return { ...d, dns: `127.0.0.1:${dnsPort}`, management: `http://127.0.0.1:${managementPort}` };
}

export interface Knot extends Daemon {
  server: string;
  zone: string;
  keyName: string;
  secret: string;
}

/** knotd serving `zone` (every name → 127.0.0.1) and accepting updates signed with a fresh TSIG key. */
export async function startKnot(dir: string, port: number, zone = "weir.test"): Promise<Knot> {
  const secret = randomBytes(32).toString("base64");
  const keyName = "weir-acme-key";
  writeFileSync(
    join(dir, `${zone}.zone`),
    [
      `$ORIGIN ${zone}.`,
      "$TTL 60",
      `@ SOA ns.${zone}. hostmaster.${zone}. 1 3600 600 86400 60`,
      "@ NS ns",
      "ns A 127.0.0.1",
      "@ A 127.0.0.1",
      "* A 127.0.0.1",
      "",
    ].join("\n"),
  );
  const conf = join(dir, "knot.conf");
  writeFileSync(
    conf,
    [
      "server:",
      `    listen: 127.0.0.1@${port}`,
      `    rundir: "${dir}"`,
      "database:",
      `    storage: "${dir}"`,
      "log:",
      "  - target: stderr",
      "    any: info",
      "key:",
      `  - id: ${keyName}`,
      "    algorithm: hmac-sha256",
      `    secret: ${secret}`,
      "acl:",
      "  - id: acme-update",
      `    key: ${keyName}`,
      "    action: update",
      "zone:",
      `  - domain: ${zone}`,
      `    file: "${join(dir, `${zone}.zone`)}"`,
      "    acl: acme-update",
      "    zonefile-sync: -1",
      "    zonefile-load: whole",
      "    journal-content: none",
      "",
    ].join("\n"),
  );
  const d = await startDaemon("knotd", ["-c", conf], /loaded, serial|server started/);
  return { ...d, server: `127.0.0.1:${port}`, zone, keyName, secret };
}

// One test's peers, each on free loopback ports and stopped by `t.after`, so a test states only what
// differs: which DNS server pebble asks, which ports it validates on, how long its certificates live.

/** knotd for `t` (see startKnot), serving weir.test from `dir`. */
export async function knotFor(t: TestContext, dir: string): Promise<Knot> {
  const knot = await startKnot(dir, await freePort());
  t.after(() => knot.stop());
  return knot;
}

/** pebble-challtestsrv for `t` (see startChallTestSrv): DNS answering 127.0.0.1 for every name. */
export async function challTestSrvFor(t: TestContext): Promise<ChallTestSrv> {
  const dns = await startChallTestSrv(await freePort(), await freePort());
  t.after(() => dns.stop());
  return dns;
}

/**
 * pebble for `t`, its HTTPS certificate signed by a fresh CA written to `dir/server-ca.pem` (the file
 * `pebbleToml` names), its ACME and management API on free ports. `httpPort` and `tlsPort` are where it
 * validates HTTP-01 and TLS-ALPN-01, i.e. weir's listeners.
 */
export async function pebbleFor(
  t: TestContext,
  dir: string,
  o: Omit<PebbleOptions, "dir" | "ca" | "port" | "managementPort">,
): Promise<Pebble> {
  const pebble = await startPebble({
    ...o,
    dir,
    ca: makeServerCa(dir),
    port: await freePort(),
    managementPort: await freePort(),
  });
  t.after(() => pebble.stop());
  return pebble;
}

/**
 * The `[acme]` lines that point weir at `pebble`: its directory, trusted through the CA pebbleFor wrote.
 * `directory_ca` is relative, so the config file must sit in the `dir` given to pebbleFor.
 */
export function pebbleToml(pebble: Pebble): string {
  return `directory = "${pebble.directory}"\ndirectory_ca = "server-ca.pem"`;
}

/** `weir run -c config` for `t`, stopped after it (callers wait for what they need, e.g. /weir started/). */
export function weirFor(t: TestContext, config: string): WeirProcess {
  const weir = startWeir(["run", "-c", config]);
  t.after(() => weir.stop());
  return weir;
}

/** Writes `toml` as `dir/weir.toml` (next to pebbleFor's CA) and runs weirFor it until "weir started". */
export async function startedWeirFor(
  t: TestContext,
  dir: string,
  toml: string,
): Promise<{ weir: WeirProcess; config: string }> {
  const config = writeConfig(toml, dir);
  const weir = weirFor(t, config);
  await weir.waitFor(/weir started/);
  return { weir, config };
}

export function requireAcmePeers(t: TestContext, ...extra: string[]): boolean {
  return requirePrograms(t, "pebble", "pebble-challtestsrv", "openssl", "curl", ...extra);
}

/** `openssl verify` of the leaf of `chainPem` against `rootPem`, its intermediates untrusted. */
export function verifyChain(dir: string, chainPem: string, rootPem: string): string {
  const certs = chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const name = randomBytes(4).toString("hex");
  writeFileSync(join(dir, `${name}-leaf.pem`), `${certs[0]}\n`);
  writeFileSync(join(dir, `${name}-inter.pem`), `${certs.slice(1).join("\n")}\n`);
  writeFileSync(join(dir, `${name}-root.pem`), rootPem);
  return execFileSync(
    "openssl",
    [
      "verify",
      "-CAfile",
      join(dir, `${name}-root.pem`),
      "-untrusted",
      join(dir, `${name}-inter.pem`),
      join(dir, `${name}-leaf.pem`),
    ],
    { encoding: "utf8" },
  );
}

/** The certificate weir serves for `name` on `port`: serial and chain, verified against `rootPem`. */
export function servedCertificate(
  port: number,
  name: string,
  rootPem: string,
): Promise<{ serial: string; issuer: string; chainLength: number }> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: "127.0.0.1",
      port,
      servername: name,
      ca: rootPem,
      ALPNProtocols: ["http/1.1"],
    });
    socket.setTimeout(5_000, () => socket.destroy(new Error("TLS handshake timed out")));
    socket.once("secureConnect", () => {
      const peer = socket.getPeerCertificate(true);
      let chainLength = 1;
      for (let c = peer; c.issuerCertificate && c.issuerCertificate !== c; c = c.issuerCertificate)
        chainLength++;
      socket.end();
      resolve({ serial: peer.serialNumber.toUpperCase(), issuer: String(peer.issuer.CN ?? ""), chainLength });
    });
    socket.once("error", reject);
  });
}

/** GET https://name:port/ with curl, trusting only `rootFile`: the body, or throws with curl's error. */
export function curlHttps(port: number, name: string, rootFile: string, path = "/"): string {
  return execFileSync(
    "curl",
    [
      "-sS",
      "--fail",
      "--max-time",
      "5",
      "--cacert",
      rootFile,
      "--resolve",
      `${name}:${port}:127.0.0.1`,
      `https://${name}:${port}${path}`,
    ],
    { encoding: "utf8" },
  );
}

export async function adminJson(adminPort: number, path: string): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${adminPort}${path}`);
  if (path === "/metrics") return res.text();
  return res.json();
}

interface AcmeStatusLike {
  acme?: {
    certificates: {
      id: string;
      status: string;
      serial?: string;
      failures: number;
      last_error?: { message: string };
    }[];
  };
}

/** Polls /status until `check` accepts the acme part, or fails after `timeoutMs` with the last status. */
export async function waitForAcme(
  adminPort: number,
  check: (certs: NonNullable<AcmeStatusLike["acme"]>["certificates"]) => boolean,
  timeoutMs = 30_000,
): Promise<NonNullable<AcmeStatusLike["acme"]>["certificates"]> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      last = await adminJson(adminPort, "/status");
      const certs = (last as AcmeStatusLike).acme?.certificates;
      if (certs && check(certs)) return certs;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`ACME status not reached in ${timeoutMs} ms; last: ${JSON.stringify(last, null, 1)}`);
}
