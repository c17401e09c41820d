// A real DNS server for discovery tests: Debian's dnsmasq on a loopback UDP/TCP port, authoritative for
// the test's domains (`local=/<domain>/`: unknown names get NXDOMAIN, nothing is forwarded). A/AAAA
// records live in an --addn-hosts file that SIGHUP reloads; SRV, PTR and TXT records live in the conf
// file, which only a restart re-reads (`restart` keeps the port).
import { type ChildProcess, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { Resolver } from "node:dns/promises";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { hasProgram } from "../lib/peers.ts";

/** dnsmasq lives in /usr/sbin, which a non-root PATH may leave out. */
export const DNSMASQ = hasProgram("dnsmasq") ? "dnsmasq" : "/usr/sbin/dnsmasq";

/** Whether dnsmasq can run here; on CI (CI=true) a missing one is an error, not a skip. */
export function dnsmasqAvailable(): boolean {
  const ok = DNSMASQ === "dnsmasq" || existsSync(DNSMASQ);
  if (!ok && process.env.CI === "true") throw new Error("needs dnsmasq (dnsmasq-base, installed by .ci/run)");
  return ok;
}

export interface DnsRecords {
  /** Domains dnsmasq answers for alone (NXDOMAIN for unknown names in them). */
  domains: string[];
  /** "address name" lines of the hosts file (A and AAAA). */
  hosts: string[];
  /** Extra conf-file lines: srv-host=, ptr-record=, txt-record=, host-record= ... */
  conf?: string[];
}

export interface Dnsmasq {
  port: number;
  /** "127.0.0.1:<port>" for `servers`. */
  server: string;
  /** Rewrites the hosts file and sends SIGHUP (A/AAAA changes, no restart). */
  setHosts(hosts: string[]): Promise<void>;
  /** Stops and starts again with new records on the same port. */
  restart(records: DnsRecords): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A port free now on 127.0.0.1 for both UDP and TCP (dnsmasq needs a fixed one and binds both): a TCP
 * port from the kernel, kept only if UDP can bind it too. Another test may still take it before
 * dnsmasq starts; startDnsmasq retries with a new port when that happens.
 */
async function freeDnsPort(): Promise<number> {
  for (;;) {
    const tcp = createServer();
    await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", r));
    const port = (tcp.address() as AddressInfo).port;
    const udp = createSocket("udp4");
    const udpFree = await new Promise<boolean>((r) => {
      udp.once("error", () => r(false));
      udp.bind(port, "127.0.0.1", () => r(true));
    });
    if (udpFree) await new Promise<void>((r) => udp.close(() => r()));
    await new Promise<void>((r) => tcp.close(() => r()));
    if (udpFree) return port;
  }
}

export async function startDnsmasq(
  t: TestContext | undefined,
  records: DnsRecords,
  opts: { port?: number; ttl?: number } = {},
): Promise<Dnsmasq> {
  const dir = mkdtempSync(join(tmpdir(), "weir-dnsmasq-"));
  // Run as root, dnsmasq drops to nobody and must still read its files (SIGHUP reloads them).
  chmodSync(dir, 0o755);
  const hostsFile = join(dir, "hosts");
  const confFile = join(dir, "dnsmasq.conf");
  let port = opts.port ?? (await freeDnsPort());
  let child: ChildProcess | undefined;
  let probeName = "";

  const writeFiles = (r: DnsRecords) => {
    writeFileSync(hostsFile, `${r.hosts.join("\n")}\n`);
    writeFileSync(confFile, `${[...r.domains.map((d) => `local=/${d}/`), ...(r.conf ?? [])].join("\n")}\n`);
    probeName = `dnsmasq-probe.${r.domains[0]}`;
  };
  const launch = async () => {
    const args = [
      `--port=${port}`,
      "--listen-address=127.0.0.1",
      "--bind-interfaces",
      "--no-resolv",
      "--no-hosts",
      "--keep-in-foreground",
      "--pid-file=",
      `--conf-file=${confFile}`,
      `--addn-hosts=${hostsFile}`,
      `--local-ttl=${opts.ttl ?? 1}`,
      `--host-record=${probeName},127.9.9.9`,
      "--log-facility=-",
      ...(process.getuid?.() === 0 ? ["--user=nobody"] : []),
    ];
    const c = spawn(DNSMASQ, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    c.stderr?.on("data", (d) => {
      stderr += d;
    });
    child = c;
    const exited = new Promise<never>((_, reject) =>
      c.once("exit", (code) => reject(new Error(`dnsmasq exited (${code}): ${stderr}`))),
    );
    exited.catch(() => {});
    await Promise.race([waitForAnswer(port, probeName), exited]);
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (c === undefined || c.exitCode !== null) return;
    const gone = new Promise((r) => c.once("exit", r));
    c.kill("SIGTERM");
    await gone;
  };

  writeFiles(records);
  // A port picked here can be taken by a concurrent test before dnsmasq binds it: pick another.
  for (let attempt = 1; ; attempt++) {
    try {
      await launch();
      break;
    } catch (err) {
      const taken = String(err).includes("Address already in use");
      if (!taken || opts.port !== undefined || attempt === 5) throw err;
      port = await freeDnsPort();
    }
  }
  t?.after(async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    port,
    server: `127.0.0.1:${port}`,
    async setHosts(hosts) {
      writeFileSync(hostsFile, `${hosts.join("\n")}\n`);
      child?.kill("SIGHUP");
      await new Promise((r) => setTimeout(r, 100));
    },
    async restart(r) {
      await stop();
      writeFiles(r);
      await launch();
    },
    stop,
  };
}

async function waitForAnswer(port: number, name: string): Promise<void> {
  const r = new Resolver({ timeout: 200, tries: 1 });
  r.setServers([`127.0.0.1:${port}`]);
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      await r.resolve4(name);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`dnsmasq on port ${port} does not answer: ${err}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }
}
