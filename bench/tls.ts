/**
 * TLS row (issue 4): weir terminating TLS beside nginx and HAProxy, each on one core with one worker or
 * thread, in front of the HTTP row's nginx origin (1 KiB responses). Two runs per candidate, both with
 * wrk over https on the load core:
 * - handshakes: `Connection: close` on every request, so each request is a new TCP connection and a full
 *   TLS handshake. Session tickets and session caches are off on every candidate, so no handshake can be
 *   a resumption (RFC 8446 §2.2) whatever the client does.
 * - keep-alive: 64 connections each making requests one after another on one TLS session.
 * The certificate is ECDSA P-256 (what a new deployment would use), generated with openssl into the
 * row's temp folder; TLS 1.3 with each candidate's default groups and suites.
 *
 * Target (issue 4): weir at least 60% of nginx on handshakes/s and on requests/s, with the same work
 * as nginx and HAProxy here: none of them writes an access log. A second weir line has weir's default
 * access log and request metrics on, for what they cost (not part of the target). The load core also
 * runs the origin and wrk's half of every handshake, so it may saturate first: the CPU per handshake /
 * per request of the proxy's process tree (weir: supervisor and worker) is printed too, lower is better.
 */

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { coreBusy, coreTimes, treeCpuSeconds } from "./lib/cpu.ts";
import { haproxyHttpConfig } from "./lib/haproxy-config.ts";
import { parseWrk, WRK_SPEC } from "./lib/http-load.ts";
import { PATH } from "./lib/http-proxies.ts";
import { lastOutput, launchHaproxy, launchNginx, launchWeir } from "./lib/launch.ts";
import { freePort, waitForPort } from "./lib/net.ts";
import { NGINX_PROXY_TO_ORIGIN, nginxHttp, nginxOriginUpstream, nginxServer } from "./lib/nginx-config.ts";
import { type Running, runPinned } from "./lib/proc.ts";
import type { BenchRow, RowContext } from "./lib/row.ts";
import { toolsMissing, withOrigin } from "./lib/row-setup.ts";
import { type Cell, fmt, printTable } from "./lib/table.ts";
import { weirHttpConfig } from "./lib/weir-config.ts";

const TARGET_VS_NGINX = 0.6;
/**
 * Candidates run in turn, all of them once per round, and each one's best round counts: on a machine
 * shared with other work, a burst of unrelated load then costs a candidate a round, not its figure.
 */
const ROUNDS = 2;
/** The name wrk connects to and sends as SNI; the certificate is for it. */
const SNI_NAME = "localhost";
/** Warm-up before each measured run, not counted (JIT, upstream pools). */
const WARMUP_S = 2;

interface Cert {
  cert: string;
  key: string;
  /** cert then key in one file, the way HAProxy's `crt` wants it. */
  combined: string;
}

interface TlsMeasured {
  requests: number;
  rps: number;
  errors: number;
  p99Ms: number | null;
  proxyCpuS: number;
  proxyCoreBusy: number | null;
  loadCoreBusy: number | null;
}
type TlsResult = TlsMeasured | { why: string };

interface TlsCandidate {
  name: string;
  /** Starts the candidate on the proxy core with TLS on `port`, proxying to the origin. */
  start(ctx: RowContext, port: number, originPort: number, cert: Cert): Running | string;
}

/** An ECDSA P-256 self-signed certificate for SNI_NAME, or why it could not be made. */
async function makeCert(ctx: RowContext): Promise<Cert | string> {
  const cert = join(ctx.tmp, "bench.pem");
  const key = join(ctx.tmp, "bench.key");
  const r = await runPinned(null, "openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-days",
    "2",
    "-subj",
    `/CN=${SNI_NAME}`,
    "-addext",
    `subjectAltName=DNS:${SNI_NAME}`,
    "-keyout",
    key,
    "-out",
    cert,
  ]);
  if (r.code !== 0) return `openssl req exited ${r.code}: ${r.stderr.trim().slice(0, 200)}`;
  const combined = join(ctx.tmp, "bench-combined.pem");
  writeFileSync(combined, readFileSync(cert, "utf8") + readFileSync(key, "utf8"));
  return { cert, key, combined };
}

const nginxTls: TlsCandidate = {
  name: "nginx",
  start(ctx, port, originPort, cert) {
    const tls = [
      `    ssl_certificate ${cert.cert};`,
      `    ssl_certificate_key ${cert.key};`,
      "    ssl_protocols TLSv1.2 TLSv1.3;",
      "    ssl_session_cache off;",
      "    ssl_session_tickets off;",
    ];
    return launchNginx(ctx, "nginx tls", ctx.proxyCore, join(ctx.tmp, "nginx-tls.conf"), {
      pid: join(ctx.tmp, "nginx-tls.pid"),
      errorLog: join(ctx.tmp, "nginx-tls-error.log"),
      workerConnections: 4096,
      blocks: nginxHttp({ http2: false }, [
        nginxOriginUpstream(originPort),
        ...nginxServer(`127.0.0.1:${port} ssl`, [...tls, ...NGINX_PROXY_TO_ORIGIN]),
      ]),
    });
  },
};

const haproxyTls: TlsCandidate = {
  name: "HAProxy",
  start(ctx, port, originPort, cert) {
    const text = haproxyHttpConfig({
      global: ["  tune.ssl.cachesize 0"],
      binds: [`  bind 127.0.0.1:${port} ssl crt ${cert.combined} alpn http/1.1 no-tls-tickets`],
      originPort,
    });
    return launchHaproxy("haproxy tls", ctx.proxyCore, join(ctx.tmp, "haproxy-tls.cfg"), text);
  },
};

/**
 * weir as nginx and HAProxy run here: no access log and no per-request metrics (their configs log
 * nothing). `observe` true is the second weir line, with weir's defaults (a JSON access log to a file,
 * request counters and histograms), so what logging costs behind TLS is printed beside it.
 */
function weirTlsCandidate(name: string, observe: boolean): TlsCandidate {
  return {
    name,
    start(ctx, port, originPort, cert) {
      const text = weirHttpConfig({
        logLevel: "warn",
        logFile: join(ctx.tmp, "weir-tls.log"),
        accessLogFile: join(ctx.tmp, "weir-tls-access.log"),
        observe,
        workers: 1,
        port,
        tls: [
          `certificates = [{ cert = "${cert.cert}", key = "${cert.key}" }]`,
          'alpn = ["http/1.1"]',
          "session_tickets = false",
        ],
        originPort,
      });
      return launchWeir(ctx, name, ctx.proxyCore, join(ctx.tmp, "weir-tls.toml"), text);
    },
  };
}

const weirTls = weirTlsCandidate("weir", false);
const weirTlsLogging = weirTlsCandidate("weir, access log", true);

const CANDIDATES: readonly TlsCandidate[] = [nginxTls, haproxyTls, weirTls, weirTlsLogging];

/** wrk over https on the load core, after an unmeasured warm-up; `close` asks for a new connection per request. */
async function runWrkTls(ctx: RowContext, port: number, proc: Running, close: boolean): Promise<TlsResult> {
  // By name, not by address: wrk sends the URL's host as SNI, and an IP literal there breaks RFC 6066 §3
  // (weir refuses it). /etc/hosts maps localhost to 127.0.0.1, where every candidate listens.
  const url = `https://${SNI_NAME}:${port}${PATH}`;
  const base = ["-t", "1", "-c", String(WRK_SPEC.connections), ...(close ? ["-H", "Connection: close"] : [])];
  await runPinned(ctx.loadCore, "wrk", [...base, "-d", `${WARMUP_S}s`, url]);
  const coresBefore = coreTimes();
  const cpuBefore = treeCpuSeconds(proc.pid);
  const out = await runPinned(ctx.loadCore, "wrk", [...base, "-d", `${ctx.durationS}s`, "--latency", url]);
  const cpuAfter = treeCpuSeconds(proc.pid);
  const coresAfter = coreTimes();
  const parsed = parseWrk(out.stdout);
  if (parsed === null)
    return { why: `wrk exited ${out.code}: ${(out.stderr || out.stdout).trim().slice(0, 200)}` };
  if (!Number.isFinite(cpuAfter - cpuBefore))
    return { why: `${proc.name} exited during the run: ${proc.output()}` };
  return {
    requests: parsed.requests,
    rps: parsed.rps,
    errors: parsed.errors,
    p99Ms: parsed.p99Ms,
    proxyCpuS: cpuAfter - cpuBefore,
    proxyCoreBusy: coreBusy(coresBefore, coresAfter, ctx.proxyCore),
    loadCoreBusy: coreBusy(coresBefore, coresAfter, ctx.loadCore),
  };
}

interface Result {
  name: string;
  handshakes: TlsResult;
  keepAlive: TlsResult;
}

async function measure(ctx: RowContext, c: TlsCandidate, originPort: number, cert: Cert): Promise<Result> {
  const port = await freePort();
  const proc = c.start(ctx, port, originPort, cert);
  if (typeof proc === "string") return { name: c.name, handshakes: { why: proc }, keepAlive: { why: proc } };
  try {
    if (!(await waitForPort(port, 15_000, () => proc.exited()))) {
      const why = `${proc.name} did not listen on ${port}: ${lastOutput(proc)}`;
      return { name: c.name, handshakes: { why }, keepAlive: { why } };
    }
    const handshakes = await runWrkTls(ctx, port, proc, true);
    const keepAlive = await runWrkTls(ctx, port, proc, false);
    return { name: c.name, handshakes, keepAlive };
  } finally {
    await proc.stop();
  }
}

export const tlsRow: BenchRow = {
  name: "tls",
  title: "TLS termination: full handshakes/s and HTTP/1.1 req/s over TLS keep-alive (wrk https, 64 conns)",
  async run(ctx) {
    if (toolsMissing("tls", { nginx: "nginx-light", wrk: "wrk", openssl: "openssl" })) return;
    const cert = await makeCert(ctx);
    if (typeof cert === "string") {
      console.log(`tls: n/a — no test certificate: ${cert}`);
      return;
    }
    await withOrigin("tls", ctx, async (origin) => {
      const rounds: Result[][] = [];
      for (let round = 1; round <= ROUNDS; round++) {
        const results: Result[] = [];
        for (const c of CANDIDATES) {
          process.stdout.write(
            `  round ${round}: ${c.name} (new connection per request, then keep-alive) for ${ctx.durationS} s each...\n`,
          );
          results.push(await measure(ctx, c, origin.h1, cert));
        }
        rounds.push(results);
      }
      report(CANDIDATES.map((c) => bestOf(rounds.map((r) => r.find((x) => x.name === c.name)!))));
    });
  },
};

/** Per kind of run, the round with the highest rate (or the first failure when none worked). */
function bestOf(rounds: readonly Result[]): Result {
  const pick = (kind: "handshakes" | "keepAlive"): TlsResult => {
    const good = rounds.map((r) => r[kind]).filter(ok);
    if (good.length === 0) return rounds[0]?.[kind] ?? { why: "no run" };
    return good.reduce((a, b) => (b.rps > a.rps ? b : a));
  };
  return { name: rounds[0]?.name ?? "?", handshakes: pick("handshakes"), keepAlive: pick("keepAlive") };
}

function ok(r: TlsResult | undefined): r is TlsMeasured {
  return r !== undefined && !("why" in r);
}

function percent(share: number | null): string {
  return share === null ? "n/a" : `${Math.round(share * 100)}%`;
}

function table(results: readonly Result[], kind: "handshakes" | "keepAlive", unit: string): void {
  const ngx = results.find((r) => r.name === nginxTls.name)?.[kind];
  printTable(
    [
      "candidate",
      `${unit}/s`,
      "p99 ms",
      "errors",
      `CPU µs/${unit}`,
      "vs nginx",
      "proxy core",
      "load core",
      "note",
    ],
    results.map((r): Cell[] => {
      const m = r[kind];
      if (!ok(m)) return [r.name, null, null, null, null, null, null, null, m.why];
      return [
        r.name,
        Math.round(m.rps),
        fmt(m.p99Ms, 3),
        m.errors,
        fmt((m.proxyCpuS / m.requests) * 1e6, 1),
        ok(ngx) ? `${(m.rps / ngx.rps).toFixed(2)}x` : "n/a",
        percent(m.proxyCoreBusy),
        percent(m.loadCoreBusy),
        "",
      ];
    }),
  );
}

function target(label: string, w: TlsResult | undefined, n: TlsResult | undefined): string {
  if (!ok(w) || !ok(n) || !(n.rps > 0)) return `  ${label}: n/a (target >= ${TARGET_VS_NGINX.toFixed(2)})`;
  const q = w.rps / n.rps;
  return `  ${label}: ${q.toFixed(2)} (target >= ${TARGET_VS_NGINX.toFixed(2)}) ${q >= TARGET_VS_NGINX ? "met" : "MISSED"}`;
}

function report(results: readonly Result[]): void {
  const w = results.find((r) => r.name === weirTls.name);
  const n = results.find((r) => r.name === nginxTls.name);
  console.log(
    `\nbest of ${ROUNDS} rounds; full handshakes (a new TLS connection per request, no resumption):`,
  );
  table(results, "handshakes", "hs");
  console.log("\nHTTP/1.1 over TLS keep-alive:");
  table(results, "keepAlive", "req");
  console.log("\ntargets:");
  console.log(target("handshakes/s weir / nginx", w?.handshakes, n?.handshakes));
  console.log(target("req/s keep-alive weir / nginx", w?.keepAlive, n?.keepAlive));
  console.log(
    "  (the load core runs wrk's half of every handshake and the origin: when it is ~100% busy, the\n" +
      "   rates show the load side; compare CPU µs per handshake / request, lower is better)",
  );
}
