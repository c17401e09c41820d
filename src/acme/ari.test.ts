import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { test } from "node:test";
import { requirePrograms } from "../../test/lib/peers.ts";
import { tempDir } from "../../test/lib/weir-process.ts";
import { ariCertificateId, fetchRenewalInfo, type HttpGet, pickRenewalTime } from "./ari.ts";
import { AcmeError } from "./errors.ts";

test("the ARI id is base64url(AKI keyIdentifier).base64url(serial) (RFC 9773 §4.1)", (t) => {
  if (!requirePrograms(t, "openssl")) return;
  const dir = tempDir("weir-ari-");
  const p = (n: string) => join(dir, n);
  const sh = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  sh("req", "-x509", ...ec, "-subj", "/CN=ca", "-keyout", p("ca.key"), "-out", p("ca.pem"));
  sh("req", ...ec, "-subj", "/CN=leaf", "-keyout", p("leaf.key"), "-out", p("leaf.csr"));
  writeFileSync(p("ext"), "authorityKeyIdentifier=keyid\nsubjectAltName=DNS:leaf.test\n");
  // A serial whose first byte has its high bit set: DER puts a 0x00 before it, and the id keeps it.
  sh(
    "x509",
    "-req",
    "-in",
    p("leaf.csr"),
    "-CA",
    p("ca.pem"),
    "-CAkey",
    p("ca.key"),
    "-set_serial",
    "0x87654321",
    "-extfile",
    p("ext"),
    "-out",
    p("leaf.pem"),
  );
  const leaf = new X509Certificate(readFileSync(p("leaf.pem")));
  const ca = new X509Certificate(readFileSync(p("ca.pem")));
  const ski = /Subject Key Identifier:\s*([0-9A-F:]+)/.exec(
    execFileSync("openssl", ["x509", "-in", p("ca.pem"), "-noout", "-text"], { encoding: "utf8" }),
  )?.[1];
  assert.ok(ski && ca.subject);
  const keyId = Buffer.from(ski.replaceAll(":", ""), "hex");
  const expected = `${keyId.toString("base64url")}.${Buffer.from([0x00, 0x87, 0x65, 0x43, 0x21]).toString("base64url")}`;
  assert.equal(ariCertificateId(Buffer.from(leaf.raw)), expected);
  assert.throws(() => ariCertificateId(Buffer.from([0x30, 0x05, 0x30])), AcmeError);
});

test("fetchRenewalInfo reads suggestedWindow and Retry-After; bad answers are AcmeError", async (t) => {
  const answers = [
    {
      status: 200,
      body: { suggestedWindow: { start: "2030-01-01T00:00:00Z", end: "2030-01-02T00:00:00Z" } },
      retry: "3600",
    },
    { status: 200, body: { suggestedWindow: { start: "nonsense" } } },
    { status: 404, body: {} },
  ];
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(req.url ?? "");
    const a = answers.shift() ?? { status: 500, body: {} };
    res.writeHead(a.status, {
      "content-type": "application/json",
      ...(a.retry ? { "retry-after": a.retry } : {}),
    });
    res.end(JSON.stringify(a.body));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => server.close());
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}/renewal-info/`;
  const http: HttpGet = {
    async get(url) {
      const res = await fetch(url);
      return { status: res.status, data: await res.json(), headers: Object.fromEntries(res.headers) };
    },
  };
  const before = Date.now();
  const w = await fetchRenewalInfo(http, base, "abc.def");
  assert.equal(seen[0], "/renewal-info/abc.def");
  assert.equal(w.start.toISOString(), "2030-01-01T00:00:00.000Z");
  assert.equal(w.end.toISOString(), "2030-01-02T00:00:00.000Z");
  assert.ok(Math.abs(w.recheckAt.getTime() - before - 3_600_000) < 5_000);
  await assert.rejects(
    fetchRenewalInfo(http, base, "x.y"),
    (e: unknown) => e instanceof AcmeError && e.code === "CA",
  );
  await assert.rejects(fetchRenewalInfo(http, base, "x.y"), /HTTP 404/);
});

test("the renewal time is chosen inside the window, now when it has passed", () => {
  const now = Date.parse("2030-01-01T12:00:00Z");
  const window = {
    start: new Date("2030-01-02T00:00:00Z"),
    end: new Date("2030-01-03T00:00:00Z"),
    recheckAt: new Date(now),
  };
  assert.equal(pickRenewalTime(window, now, () => 0).getTime(), window.start.getTime());
  assert.equal(pickRenewalTime(window, now, () => 0.5).toISOString(), "2030-01-02T12:00:00.000Z");
  const past = { ...window, start: new Date("2029-12-01T00:00:00Z"), end: new Date("2029-12-02T00:00:00Z") };
  assert.equal(pickRenewalTime(past, now, () => 0.9).getTime(), now);
  const open = { ...window, start: new Date("2030-01-01T00:00:00Z") };
  assert.ok(pickRenewalTime(open, now, () => 0).getTime() >= now, "never in the past");
});
