// shared/contract/discovery.toml, as its comments say: upstreams found through a DNS server on
// 127.0.0.1:19053 authoritative for weir.test (dnsmasq, started here), by A/AAAA with TTL re-resolution
// and HTTP health checks, by SRV, by DNS-SD and through a search list; a refused connect is retried.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, describe, test } from "node:test";
import { startWeir, type WeirProcess } from "../lib/weir-process.ts";
import { type Dnsmasq, type DnsRecords, dnsmasqAvailable, startDnsmasq } from "../upstream/dnsmasq.ts";

const BASE = "http://127.0.0.1:19000";

/** An origin on host:port that answers "<host>:<port>" (and 200 on /healthz). */
class Origin {
  readonly host: string;
  readonly port: number;
  server: Server | undefined;
  hits = 0;
  constructor(host: string, port: number) {
    this.host = host;
    this.port = port;
  }
  get id(): string {
    return `${this.host}:${this.port}`;
  }
  async start(): Promise<void> {
    const server = createServer((req, res) => {
      if (req.url !== "/healthz") this.hits++;
      res.end(this.id);
    });
    await new Promise<void>((r) => server.listen(this.port, this.host, r));
    this.server = server;
  }
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s === undefined) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}

const byName = [
  new Origin("127.0.0.1", 19101),
  new Origin("127.0.0.2", 19101),
  new Origin("127.0.0.3", 19101),
];
const srv = [new Origin("127.0.0.1", 19102), new Origin("127.0.0.1", 19103), new Origin("127.0.0.1", 19104)];
const sd = [new Origin("127.0.0.1", 19105), new Origin("127.0.0.1", 19106)];

const RECORDS: DnsRecords = {
  domains: ["weir.test"],
  hosts: ["127.0.0.1 app.weir.test", "127.0.0.2 app.weir.test", "127.0.0.1 s.weir.test"],
  conf: [
    "srv-host=_http._tcp.app.weir.test,s.weir.test,19102,0,1",
    "srv-host=_http._tcp.app.weir.test,s.weir.test,19103,0,3",
    "srv-host=_http._tcp.app.weir.test,s.weir.test,19104,1,1",
    "ptr-record=_http._tcp.weir.test,one._http._tcp.weir.test",
    "ptr-record=_http._tcp.weir.test,two._http._tcp.weir.test",
    "srv-host=one._http._tcp.weir.test,s.weir.test,19105",
    "srv-host=two._http._tcp.weir.test,s.weir.test,19106",
    'txt-record=one._http._tcp.weir.test,"version=1"',
    'txt-record=two._http._tcp.weir.test,"version=2"',
  ],
};

async function get(path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${BASE}${path}`);
  return { status: res.status, body: await res.text() };
}

/** Sends `n` GETs; every one must be 200. Returns the bodies by count. */
async function spread(path: string, n: number): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const r = await get(path);
    assert.equal(r.status, 200, `${path}: ${r.body}`);
    seen.set(r.body, (seen.get(r.body) ?? 0) + 1);
  }
  return seen;
}

async function eventually(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("contract: discovery.toml", { skip: dnsmasqAvailable() ? false : "needs dnsmasq" }, () => {
  let weir: WeirProcess;
  let dns: Dnsmasq;

  before(async () => {
    dns = await startDnsmasq(undefined, RECORDS, { port: 19053, ttl: 1 });
    for (const o of [...byName.slice(0, 2), ...srv, ...sd]) await o.start();
    weir = startWeir(["run", "--config", "examples/discovery.toml", "--workers", "1"]);
    await weir.waitFor(/"weir started"/);
  });
  after(async () => {
    const code = await weir.stop();
    for (const o of [...byName, ...srv, ...sd]) await o.stop();
    await dns.stop();
    assert.equal(code, 0);
  });

  test("/n/: the A records of app.weir.test on 19101, followed as they change (TTL 1 s)", async () => {
    const seen = await spread("/n/x", 20);
    assert.deepEqual([...seen.keys()].sort(), ["127.0.0.1:19101", "127.0.0.2:19101"]);
    await byName[2]!.start();
    await dns.setHosts(["127.0.0.1 app.weir.test", "127.0.0.3 app.weir.test", "127.0.0.1 s.weir.test"]);
    await eventually("127.0.0.3 in, 127.0.0.2 out", 5_000, async () => {
      const s = await spread("/n/x", 10);
      return s.has("127.0.0.3:19101") && !s.has("127.0.0.2:19101");
    });
  });

  test("/n/: health checks take a stopped endpoint out and bring it back; no client sees an error", async () => {
    const stopped = byName[2]!;
    await stopped.stop();
    const marked = weir.waitFor(
      /by active health checks.*127\.0\.0\.3:19101|127\.0\.0\.3:19101.*by active health checks/,
      5_000,
    );
    // Meanwhile every request succeeds: refused connects are retried on 127.0.0.1.
    const during = await spread("/n/x", 30);
    assert.ok(!during.has(stopped.id));
    await marked;
    await stopped.start();
    await eventually("the endpoint to rejoin", 5_000, async () => (await spread("/n/x", 6)).has(stopped.id));
    assert.match(weir.stdout() + weir.stderr(), /up by active health checks/);
  });

  test("/s/: SRV targets and ports; weights 1:3 at priority 0; priority 1 only when priority 0 is down", async () => {
    const seen = await spread("/s/x", 40);
    assert.deepEqual([...seen].sort(), [
      ["127.0.0.1:19102", 10],
      ["127.0.0.1:19103", 30],
    ]);
    await srv[0]!.stop();
    await srv[1]!.stop();
    // Retries and passive ejection move traffic to the backup at priority 1.
    await eventually(
      "priority 1 to serve",
      5_000,
      async () => (await get("/s/x")).body === "127.0.0.1:19104",
    );
    assert.deepEqual([...(await spread("/s/x", 10)).keys()], ["127.0.0.1:19104"]);
    await srv[0]!.start();
    await srv[1]!.start();
  });

  test("/d/: the DNS-SD instances of _http._tcp.weir.test", async () => {
    const seen = await spread("/d/x", 10);
    assert.deepEqual([...seen.keys()].sort(), ["127.0.0.1:19105", "127.0.0.1:19106"]);
  });

  test("/q/: app through the search list (nothere.test fails, weir.test resolves)", async () => {
    const seen = await spread("/q/x", 10);
    assert.ok(
      [...seen.keys()].every((k) => k.endsWith(":19101")),
      [...seen.keys()].join(),
    );
  });
});
