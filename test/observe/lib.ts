// Peers for the observability tests: a strict parser of the Prometheus text format, an OTLP/HTTP
// collector and a syslog receiver (node:http and node:dgram), and small helpers to query the admin API.
import assert from "node:assert/strict";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createServer, request, type Server } from "node:http";

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Prometheus text exposition format 0.0.4, parsed strictly: every line is a comment (# HELP / # TYPE /
 * other), blank, or a sample `name{label="value",...} value [timestamp]`; every sample belongs to the
 * family its # TYPE announced (with _bucket/_sum/_count for histograms and summaries); label values use
 * only the \\, \" and \n escapes. Throws on the first line that breaks a rule.
 */
export function parsePrometheus(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  let current: Family | undefined;
  const lines = text.split("\n");
  assert.equal(lines.at(-1), "", "the exposition ends with a newline");
  for (const [i, line] of lines.entries()) {
    const where = `line ${i + 1}: ${line}`;
    if (line === "") continue;
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (m === null) continue; // a plain comment
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      assert.match(name, NAME, where);
      let family = families.get(name);
      if (family === undefined) {
        family = { name, type: "untyped", help: "", samples: [] };
        families.set(name, family);
      }
      if (kind === "TYPE") {
        assert.ok(["counter", "gauge", "histogram", "summary", "untyped"].includes(rest), where);
        assert.equal(family.samples.length, 0, `TYPE after samples: ${where}`);
        family.type = rest;
      } else family.help = rest;
      current = family;
      continue;
    }
    const sample = parseSampleLine(line, where);
    const family = familyOf(sample.name, current, families);
    assert.ok(family !== undefined, `sample without a family: ${where}`);
    family.samples.push(sample);
  }
  for (const f of families.values()) {
    if (f.type !== "histogram") continue;
    // Buckets are cumulative and end with +Inf equal to _count, per label set.
    const series = new Map<string, Sample[]>();
    for (const s of f.samples) {
      if (!s.name.endsWith("_bucket")) continue;
      const { le: _le, ...rest } = s.labels;
      const key = JSON.stringify(Object.entries(rest).sort());
      series.set(key, [...(series.get(key) ?? []), s]);
    }
    for (const [key, buckets] of series) {
      for (let i = 1; i < buckets.length; i++)
        assert.ok(
          (buckets[i] as Sample).value >= (buckets[i - 1] as Sample).value,
          `${f.name} ${key} not cumulative`,
        );
      const inf = buckets.at(-1) as Sample;
      assert.equal(inf.labels.le, "+Inf", `${f.name} ${key} ends with +Inf`);
      const count = f.samples.find(
        (s) => s.name === `${f.name}_count` && JSON.stringify(Object.entries(s.labels).sort()) === key,
      );
      assert.equal(count?.value, inf.value, `${f.name} ${key}: +Inf bucket equals _count`);
    }
  }
  return families;
}

function familyOf(
  name: string,
  current: Family | undefined,
  families: Map<string, Family>,
): Family | undefined {
  const direct = families.get(name);
  if (direct !== undefined) return direct;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (!name.endsWith(suffix)) continue;
    const f = families.get(name.slice(0, -suffix.length));
    if (f !== undefined && (f.type === "histogram" || f.type === "summary")) return f;
  }
  return current?.type === "untyped" ? current : undefined;
}

function parseSampleLine(line: string, where: string): Sample {
  let i = 0;
  while (i < line.length && line[i] !== "{" && line[i] !== " ") i++;
  const name = line.slice(0, i);
  assert.match(name, NAME, where);
  const labels: Record<string, string> = {};
  if (line[i] === "{") {
    i++;
    while (line[i] !== "}") {
      const eq = line.indexOf("=", i);
      assert.ok(eq > i, where);
      const label = line.slice(i, eq);
      assert.match(label, LABEL_NAME, where);
      assert.equal(line[eq + 1], '"', where);
      let j = eq + 2;
      let value = "";
      while (line[j] !== '"') {
        assert.ok(j < line.length, `unterminated label value: ${where}`);
        if (line[j] === "\\") {
          const next = line[j + 1];
          assert.ok(next === "\\" || next === '"' || next === "n", `bad escape: ${where}`);
          value += next === "n" ? "\n" : next;
          j += 2;
        } else value += line[j++];
      }
      assert.ok(!(label in labels), `repeated label: ${where}`);
      labels[label] = value;
      i = j + 1;
      if (line[i] === ",") i++;
      else assert.equal(line[i], "}", where);
    }
    i++;
  }
  assert.equal(line[i], " ", where);
  const parts = line.slice(i + 1).split(" ");
  assert.ok(parts.length === 1 || parts.length === 2, where);
  const text = parts[0] as string;
  assert.match(text, /^([+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?)|[+-]Inf|NaN)$/, where);
  const value = text === "+Inf" ? Infinity : text === "-Inf" ? -Infinity : Number(text);
  return { name, labels, value };
}

/** Sum of the samples named `name` whose labels include `match`. */
export function value(
  families: Map<string, Family>,
  name: string,
  match: Record<string, string> = {},
): number {
  let total = 0;
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name !== name) continue;
      if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) total += s.value;
    }
  }
  return total;
}

/** Whether any sample named `name` with labels including `match` exists. */
export function has(
  families: Map<string, Family>,
  name: string,
  match: Record<string, string> = {},
): boolean {
  for (const f of families.values())
    for (const s of f.samples)
      if (s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)) return true;
  return false;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function http(
  port: number,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, method: opts.method ?? "GET", headers: opts.headers, agent: false },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c) => {
          body += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(opts.body);
  });
}

export async function scrape(
  adminPort: number,
  headers: Record<string, string> = {},
): Promise<Map<string, Family>> {
  const res = await http(adminPort, "/metrics", { headers });
  assert.equal(res.status, 200, res.body);
  assert.match(String(res.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
  return parsePrometheus(res.body);
}

/** Polls `check` until it returns a value other than undefined/false. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface OtlpCollector {
  server: Server;
  port: number;
  /** Decoded JSON bodies received, by path (/v1/logs, /v1/metrics). */
  received: { path: string; body: unknown; contentType: string | undefined }[];
  close(): Promise<void>;
}

/** An OTLP/HTTP collector that accepts the JSON encoding on /v1/logs and /v1/metrics. */
export async function otlpCollector(port = 0): Promise<OtlpCollector> {
  const received: OtlpCollector["received"] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      if (req.method !== "POST" || (req.url !== "/v1/logs" && req.url !== "/v1/metrics")) {
        res.writeHead(404).end();
        return;
      }
      try {
        received.push({ path: req.url, body: JSON.parse(body), contentType: req.headers["content-type"] });
      } catch {
        res.writeHead(400).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    server,
    port: (server.address() as { port: number }).port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface SyslogReceiver {
  socket: UdpSocket;
  port: number;
  messages: string[];
  close(): void;
}

export async function syslogUdpReceiver(port = 0): Promise<SyslogReceiver> {
  const socket = createSocket("udp4");
  const messages: string[] = [];
  socket.on("message", (m) => messages.push(m.toString("utf8")));
  await new Promise<void>((resolve) => socket.bind(port, "127.0.0.1", resolve));
  return { socket, port: socket.address().port, messages, close: () => socket.close() };
}

/** RFC 5424 §6: HEADER SP STRUCTURED-DATA [SP MSG], parsed; throws when `line` does not follow it. */
export function parseRfc5424(line: string): {
  pri: number;
  timestamp: string;
  hostname: string;
  app: string;
  procid: string;
  msgid: string;
  msg: string;
} {
  const m = /^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (-|\[.*?\]) ?(.*)$/s.exec(line);
  assert.ok(m !== null, `not RFC 5424: ${line.slice(0, 120)}`);
  const [, pri, timestamp, hostname, app, procid, msgid, , msg] = m as unknown as string[];
  assert.ok(Number(pri) <= 191, "PRI is at most 191");
  assert.ok(!Number.isNaN(Date.parse(timestamp as string)), `timestamp ${timestamp}`);
  assert.match(timestamp as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)$/);
  return {
    pri: Number(pri),
    timestamp: timestamp as string,
    hostname: hostname as string,
    app: app as string,
    procid: procid as string,
    msgid: msgid as string,
    msg: msg as string,
  };
}

/** OTLP AnyValue (JSON encoding) → a plain value. */
export function plain(v: Record<string, unknown>): unknown {
  if ("stringValue" in v) return v.stringValue;
  if ("intValue" in v) return Number(v.intValue);
  if ("doubleValue" in v) return v.doubleValue;
  if ("boolValue" in v) return v.boolValue;
  if ("arrayValue" in v)
    return ((v.arrayValue as { values?: Record<string, unknown>[] }).values ?? []).map(plain);
  if ("kvlistValue" in v) return attrs((v.kvlistValue as { values?: KV[] }).values ?? []);
  return undefined;
}

type KV = { key: string; value: Record<string, unknown> };

export function attrs(list: KV[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, plain(kv.value)]));
}
