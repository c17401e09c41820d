// Discovery against a real DNS server (dnsmasq): A/AAAA re-resolved at their TTL, SRV priorities and
// weights, DNS-SD instances with TXT metadata, search lists, a failed lookup keeping the last good set,
// and an empty answer taking effect only after the grace period.
import assert from "node:assert/strict";
import { type TestContext, test } from "node:test";
import { type DnsRecords, dnsmasqAvailable, startDnsmasq } from "./dnsmasq.ts";
import { keys, testEnv, until, upstreamFrom } from "./env.ts";

const hasDnsmasq = (t: TestContext): boolean => {
  if (dnsmasqAvailable()) return true;
  t.skip("needs dnsmasq (dnsmasq-base, installed by .ci/run)");
  return false;
};

const RECORDS: DnsRecords = {
  domains: ["d.test", "nothere.test"],
  hosts: [
    "127.0.0.1 app.d.test",
    "127.0.0.2 app.d.test",
    "::1 app.d.test",
    "127.0.0.3 a.d.test",
    "127.0.0.4 b.d.test",
    "127.0.0.5 c.d.test",
  ],
  conf: [
    "srv-host=_http._tcp.svc.d.test,a.d.test,8001,0,10",
    "srv-host=_http._tcp.svc.d.test,b.d.test,8002,0,30",
    "srv-host=_http._tcp.svc.d.test,c.d.test,8003,1,10",
    "ptr-record=_http._tcp.d.test,v1._http._tcp.d.test",
    "ptr-record=_http._tcp.d.test,v2._http._tcp.d.test",
    "srv-host=v1._http._tcp.d.test,a.d.test,9001",
    "srv-host=v2._http._tcp.d.test,b.d.test,9002",
    'txt-record=v1._http._tcp.d.test,"version=1","Zone=a","canary"',
    'txt-record=v2._http._tcp.d.test,"version=2","zone=b"',
  ],
};

test("A/AAAA: every address is an endpoint; a changed record is followed at its TTL", async (t) => {
  if (!hasDnsmasq(t)) return;
  const dns = await startDnsmasq(t, RECORDS);
  const env = testEnv();
  const u = upstreamFrom(
    "app",
    `discovery = { dns = "app.d.test", port = 80, servers = ["${dns.server}"], min_ttl = "200ms" }`,
    env,
  );
  t.after(() => u.close());
  await u.ready;
  assert.deepEqual(keys(u), ["127.0.0.1:80", "127.0.0.2:80", "[::1]:80"]);
  const started = Date.now();
  await dns.setHosts(["127.0.0.1 app.d.test", "127.0.0.9 app.d.test"]);
  await until(() => keys(u).join() === "127.0.0.1:80,127.0.0.9:80", 4_000, "the new A records");
  assert.ok(Date.now() - started < 3_000, "re-resolved within about the 1 s TTL");
  const change = env.lines.findLast((l) => l.msg === "upstream endpoints changed");
  assert.ok(change !== undefined, "the change is logged");
  assert.deepEqual(change.added, ["127.0.0.9:80"]);
  assert.deepEqual((change.removed as string[]).sort(), ["127.0.0.2:80", "[::1]:80"]);
});

test("SRV: targets and ports, weights to the balancer, a higher priority only when the lower is all down", async (t) => {
  if (!hasDnsmasq(t)) return;
  const dns = await startDnsmasq(t, RECORDS);
  const u = upstreamFrom(
    "svc",
    `discovery = { srv = "_http._tcp.svc.d.test", servers = ["${dns.server}"] }\nhealth = { passive_failures = 1 }`,
  );
  t.after(() => u.close());
  await u.ready;
  assert.deepEqual(keys(u), ["127.0.0.3:8001", "127.0.0.4:8002", "127.0.0.5:8003"]);
  const byKey = new Map(u.endpoints.map((e) => [e.key, e]));
  assert.equal(byKey.get("127.0.0.4:8002")?.weight, 30);
  assert.equal(byKey.get("127.0.0.5:8003")?.priority, 1);
  // Smooth weighted round robin over priority 0: 10 vs 30 → 1 in 4 picks.
  const counts = new Map<string, number>();
  for (let i = 0; i < 400; i++) {
    const k = u.pick()?.key as string;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  assert.deepEqual([...counts].sort(), [
    ["127.0.0.3:8001", 100],
    ["127.0.0.4:8002", 300],
  ]);
  // Eject both priority-0 endpoints (passive: one failure each): priority 1 takes over.
  u.end(u.begin(byKey.get("127.0.0.3:8001")!), "failed");
  assert.equal(u.candidates().endpoints.length, 1, "one of priority 0 is still up");
  u.end(u.begin(byKey.get("127.0.0.4:8002")!), "failed");
  assert.deepEqual(
    u.candidates().endpoints.map((e) => e.key),
    ["127.0.0.5:8003"],
  );
});

test("DNS-SD: PTR → SRV + TXT; TXT pairs become metadata that route subsets select on", async (t) => {
  if (!hasDnsmasq(t)) return;
  const dns = await startDnsmasq(t, RECORDS);
  const u = upstreamFrom("sd", `discovery = { dnssd = "_http._tcp.d.test", servers = ["${dns.server}"] }`);
  t.after(() => u.close());
  await u.ready;
  assert.deepEqual(keys(u), ["127.0.0.3:9001", "127.0.0.4:9002"]);
  const v1 = u.endpoints.find((e) => e.port === 9001);
  assert.deepEqual(v1?.meta, { version: "1", zone: "a", canary: "", instance: "v1._http._tcp.d.test" });
  const v2only = Object.freeze({ version: "2" });
  for (let i = 0; i < 10; i++) assert.equal(u.pick(undefined, 0, v2only)?.port, 9002);
  assert.equal(u.pick(undefined, 0, Object.freeze({ version: "3" })), undefined);
});

test("search list: the name as given, then each domain in order; the first that resolves wins", async (t) => {
  if (!hasDnsmasq(t)) return;
  const dns = await startDnsmasq(t, RECORDS);
  const u = upstreamFrom(
    "q",
    `discovery = { dns = "app", port = 81, search = ["nothere.test", "d.test"], servers = ["${dns.server}"] }`,
  );
  t.after(() => u.close());
  await u.ready;
  assert.deepEqual(keys(u), ["127.0.0.1:81", "127.0.0.2:81", "[::1]:81"]);
});

test("a failed lookup keeps the last good set (counted); an empty answer wins only after the grace period", async (t) => {
  if (!hasDnsmasq(t)) return;
  const dns = await startDnsmasq(t, RECORDS);
  const env = testEnv();
  const u = upstreamFrom(
    "app",
    `discovery = { dns = "app.d.test", port = 80, servers = ["${dns.server}"], min_ttl = "200ms", empty_grace = "1500ms", timeout = "200ms" }`,
    env,
  );
  t.after(() => u.close());
  await u.ready;
  assert.equal(u.endpoints.length, 3);
  await dns.stop();
  const failures = async () =>
    (
      await env.metrics.registry.getSingleMetric("weir_upstream_discovery_failures_total")?.get()
    )?.values.reduce((a, v) => a + v.value, 0) ?? 0;
  const deadline = Date.now() + 5_000;
  while ((await failures()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.ok((await failures()) > 0, "the failed lookups are counted");
  assert.equal(u.endpoints.length, 3, "the last good set stays");
  assert.ok(env.lines.some((l) => String(l.msg).startsWith("service discovery failed")));

  await dns.restart({ ...RECORDS, hosts: RECORDS.hosts.filter((h) => !h.endsWith(" app.d.test")) });
  const emptySince = Date.now();
  await until(
    () => env.lines.some((l) => String(l.msg).includes("answered no endpoints")),
    5_000,
    "an empty answer",
  );
  assert.equal(u.endpoints.length, 3, "an empty answer inside the grace period changes nothing");
  await until(() => u.endpoints.length === 0, 5_000, "the grace period to end");
  assert.ok(Date.now() - emptySince >= 1_000, "not before the grace period");
  assert.equal(u.pick(), undefined);
});

test("SRV records changed on the server (restart) are followed at the refresh interval", async (t) => {
  if (!hasDnsmasq(t)) return;
  const dns = await startDnsmasq(t, RECORDS);
  const u = upstreamFrom(
    "svc",
    `discovery = { srv = "_http._tcp.svc.d.test", servers = ["${dns.server}"], refresh = "300ms", min_ttl = "100ms" }`,
  );
  t.after(() => u.close());
  await u.ready;
  assert.equal(u.endpoints.length, 3);
  await dns.restart({
    ...RECORDS,
    conf: [
      ...(RECORDS.conf ?? []).filter((l) => !l.includes("svc.d.test")),
      "srv-host=_http._tcp.svc.d.test,c.d.test,8009,0,5",
    ],
  });
  await until(() => keys(u).join() === "127.0.0.5:8009", 4_000, "the new SRV set");
});
