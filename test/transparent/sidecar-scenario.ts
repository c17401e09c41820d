// Run by sidecar.test.ts inside a fresh network namespace (`unshare --net --fork`, as root): a transparent
// listener on one dual-stack address, [::]:4140, behind the rules `weir iptables` prints for iptables and
// ip6tables, with a certificate for line.test and app.test, so that TLS to those names is terminated and
// the decrypted stream detected again. Prints one JSON object with what each client saw and weir's output.
//
// Redirected origins (18888 and 18443 are redirected to 4140; 18080 is not):
//   127.0.0.1:18888, [::1]:18888   HTTP, answering with what it received (origin name, Host, X-Forwarded-For)
//   127.0.0.1:18443, [::1]:18443   a cleartext line protocol (Redis's PING, answered "+PONG v4" / "+PONG v6")
//   127.0.0.2:18443                a cleartext server that speaks first: a greeting
//   127.0.0.1:18080                HTTP "app", the upstream of the route for app.test (not redirected)
import { X509Certificate } from "node:crypto";
import { connect as h2connect } from "node:http2";
import { request as httpsRequest } from "node:https";
import { createServer, type Server, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { startWeir, writeConfig } from "../lib/weir-process.ts";
import {
  httpGet,
  httpOrigin,
  listen,
  type RequestField,
  readJson,
  redirectToWeir,
  reportScenario,
  selfSignedIdentity,
  straightToProxy,
} from "./kit.ts";

const DETECT_TIMEOUT_MS = 300;
/** A Redis PING (RESP array): a client-first line protocol that is not HTTP ("PING x" would look like a
 * request line to detection, as a method and a request-target). */
const RESP_PING = "*1\r\n$4\r\nPING\r\n";

/** What the HTTP origins report: the client's Host, X-Forwarded-For and X-Forwarded-Proto as weir sent them. */
const SEEN: readonly RequestField[] = ["host", "xff", "proto"];

/** A cleartext "Redis": answers a whole PING with "+PONG <name>"; with a greeting, speaks first instead. */
function lineOrigin(name: string, greeting?: string): Server {
  return createServer({ allowHalfOpen: true }, (s: Socket) => {
    s.on("error", () => {});
    s.on("end", () => s.end());
    if (greeting !== undefined) return void s.write(greeting);
    let received = "";
    s.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
      if (received === RESP_PING) s.write(`+PONG ${name}\r\n`);
    });
  });
}

function startOrigins(): Promise<Server[]> {
  return Promise.all([
    listen(httpOrigin("v4", SEEN), "127.0.0.1", 18888),
    listen(httpOrigin("v6", SEEN), "::1", 18888),
    listen(lineOrigin("v4"), "127.0.0.1", 18443),
    listen(lineOrigin("v6"), "::1", 18443),
    listen(lineOrigin("first", "220 origin ready\r\n"), "127.0.0.2", 18443),
    listen(httpOrigin("app", SEEN), "127.0.0.1", 18080),
    listen(httpOrigin("plain", SEEN), "127.0.0.3", 18443),
  ]);
}

function settle<T>(promise: Promise<T>): Promise<T | { error: string }> {
  return promise.catch((e: Error) => ({ error: e.message }));
}

/** TLS to `host`:18443 with SNI `servername`; sends `send` (if any), reads until `until` holds. */
function tlsExchange(
  host: string,
  servername: string,
  ca: string,
  send: string | undefined,
  until: (received: string) => boolean,
): Promise<{ authorized: boolean; fingerprint?: string; data: string; firstByteMs: number }> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host, port: 18443, servername, ca });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from ${host} in 5 s, got ${JSON.stringify(data)}`));
    }, 5000);
    let data = "";
    let secureAt = 0;
    let firstByteMs = -1;
    socket.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.once("secureConnect", () => {
      secureAt = performance.now();
      if (send !== undefined) socket.write(send);
    });
    socket.on("data", (chunk: Buffer) => {
      if (firstByteMs < 0) firstByteMs = Math.round(performance.now() - secureAt);
      data += chunk.toString();
      if (!until(data)) return;
      clearTimeout(timer);
      const fingerprint = socket.getPeerX509Certificate()?.fingerprint256;
      socket.destroy();
      resolve({ authorized: socket.authorized, fingerprint, data, firstByteMs });
    });
  });
}

/** HTTP/1.1 over TLS without ALPN: only the decrypted bytes say it is HTTP. */
function httpsGet(ca: string, address = "127.0.0.1", host = "app.test"): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: address,
        port: 18443,
        servername: "app.test",
        ca,
        path: "/",
        headers: { host },
        agent: false,
        timeout: 5000,
      },
      (res) => readJson(res, res.statusCode ?? 0, resolve),
    );
    req.on("timeout", () => req.destroy(new Error("no answer in 5 s")));
    req.on("error", reject);
    req.end();
  });
}

/** HTTP/2 over TLS, chosen by ALPN. */
function h2Get(ca: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const session = h2connect("https://app.test:18443", {
      createConnection: () =>
        tlsConnect({ host: "127.0.0.1", port: 18443, servername: "app.test", ca, ALPNProtocols: ["h2"] }),
    });
    session.on("error", reject);
    const stream = session.request({ ":path": "/" });
    stream.setTimeout(5000, () => stream.close());
    stream.on("error", reject);
    stream.on("response", (headers) =>
      readJson(stream, Number(headers[":status"]), (v) => {
        session.close();
        resolve(v);
      }),
    );
    stream.end();
  });
}

async function runClients(ca: string): Promise<Record<string, unknown>> {
  const line = (s: string) => s.endsWith("\r\n");
  return {
    lineV4: await settle(tlsExchange("127.0.0.1", "line.test", ca, RESP_PING, line)),
    lineV6: await settle(tlsExchange("::1", "line.test", ca, RESP_PING, line)),
    serverFirst: await settle(tlsExchange("127.0.0.2", "line.test", ca, undefined, line)),
    https: await settle(httpsGet(ca)),
    httpsUnrouted: await settle(httpsGet(ca, "127.0.0.3", "elsewhere.test")),
    h2: await settle(h2Get(ca)),
    httpV4: await settle(httpGet("127.0.0.1", "v4.test:18888")),
    httpV6: await settle(httpGet("::1", "v6.test:18888")),
    loopV4: await straightToProxy("127.0.0.1", 3000),
    loopV6: await straightToProxy("::1", 3000),
  };
}

const rules = redirectToWeir("18888,18443");
/** weir's certificate for line.test and app.test. */
const { keyFile, certFile, cert } = selfSignedIdentity(["line.test", "app.test"]);
const origins = await startOrigins();
const config = writeConfig(`
[system]
user = "nobody"
group = "nogroup"
workers = 1

[listeners.outbound]
address = "[::]:4140"
protocol = "auto"
transparent = true
detect_timeout = "${DETECT_TIMEOUT_MS}ms"

[listeners.outbound.tls]
certificates = [{ cert = "${certFile}", key = "${keyFile}" }]

[[routes]]
host = "app.test"
upstream = "app"

[upstreams.app]
endpoints = ["127.0.0.1:18080"]
`);
const weir = startWeir(["run", "--config", config]);
await reportScenario(
  weir,
  origins,
  async () => {
    const output = { rules, ...(await runClients(cert)) };
    // Tunnels' access log lines are written when they close.
    await weir.waitFor(/"original_dst":"127.0.0.2:18443"/, 3000).catch(() => {});
    await weir.waitFor(/"original_dst":"\[::1\]:18443"/, 3000).catch(() => {});
    return output;
  },
  { detectTimeoutMs: DETECT_TIMEOUT_MS, weirFingerprint: new X509Certificate(cert).fingerprint256 },
);
