// shared/contract/http.toml, as its comments say: host and path routing, 404 from weir, HTTP/1.0, 1.1
// keep-alive and h2c prior knowledge on one listener, hop-by-hop headers dropped, X-Forwarded-* added.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { requirePrograms } from "../lib/peers.ts";
import { startWeir, type WeirProcess } from "../lib/weir-process.ts";

const run = promisify(execFile);
const WEB = "http://127.0.0.1:16000";

interface Seen {
  origin: string;
  headers: IncomingHttpHeaders;
  url: string;
}

describe("contract: http.toml", () => {
  let weir: WeirProcess;
  const origins: Server[] = [];
  const seen: Seen[] = [];

  before(async () => {
    for (const [name, port] of [
      ["a", 16001],
      ["b1", 16002],
      ["b2", 16003],
    ] as const) {
      const server = createServer((req, res) => {
        seen.push({ origin: name, headers: req.headers, url: req.url ?? "" });
        req.resume();
        req.on("end", () => res.end(`${name} ${req.url}\n`));
      });
      await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
      origins.push(server);
    }
    weir = startWeir(["run", "--config", "examples/http.toml", "--workers", "1"]);
    await weir.waitFor(/"weir started"/);
  });
  after(async () => {
    assert.equal(await weir.stop(), 0);
    for (const o of origins) o.close();
  });

  const curl = async (...args: string[]) => (await run("curl", ["-sS", ...args])).stdout;

  test("Host a.test goes to upstream a, whatever the path", async (t) => {
    if (!requirePrograms(t, "curl")) return;
    assert.equal(await curl("-H", "Host: a.test", `${WEB}/anything/here`), "a /anything/here\n");
    assert.equal(await curl("-H", "Host: a.test", `${WEB}/b/x`), "a /b/x\n");
  });

  test("/b/ on any host is spread across both endpoints of b", async (t) => {
    if (!requirePrograms(t, "curl")) return;
    const replies = new Set<string>();
    for (let i = 0; i < 6; i++) replies.add((await curl(`${WEB}/b/${i}`)).split(" ")[0]);
    assert.deepEqual([...replies].sort(), ["b1", "b2"]);
  });

  test("anything else gets 404 from weir itself", async (t) => {
    if (!requirePrograms(t, "curl")) return;
    const before = seen.length;
    const out = await curl("-w", "%{http_code}", `${WEB}/nowhere`);
    assert.equal(out, "no route\n404");
    assert.equal(seen.length, before, "no origin saw the request");
  });

  test("HTTP/1.0, HTTP/1.1 keep-alive and HTTP/2 prior knowledge on the same listener", async (t) => {
    if (!requirePrograms(t, "curl")) return;
    const v10 = await curl("--http1.0", "-i", "-H", "Host: a.test", `${WEB}/ten`);
    // RFC 9110 §6.2: the server answers with its own version; 1.0 semantics are what matter.
    assert.match(v10, /^HTTP\/1\.[01] 200/);
    assert.match(v10, /^connection: close\r$/im);
    assert.doesNotMatch(v10, /transfer-encoding: chunked/i);
    assert.match(v10, /a \/ten/);
    // Two requests on one connection: curl reports it reused the connection.
    const v11 = (await run("curl", ["-sS", "-v", "--http1.1", `${WEB}/b/1`, `${WEB}/b/2`])).stderr;
    assert.match(v11, /Re-using existing connection|Reusing existing/i);
    const v2 = await curl("--http2-prior-knowledge", "-i", "-H", "Host: a.test", `${WEB}/two`);
    assert.match(v2, /^HTTP\/2 200/);
    assert.match(v2, /a \/two/);
  });

  test("hop-by-hop headers never reach an origin; X-Forwarded-* do", async (t) => {
    if (!requirePrograms(t, "curl")) return;
    // Hop-by-hop headers (RFC 9110 §7.6.1) a client can send, and one that Connection names.
    const hopByHop = [
      ["Connection", "keep-alive, x-private"],
      ["X-Private", "secret"],
      ["Keep-Alive", "timeout=5"],
      ["Proxy-Connection", "keep-alive"],
      ["TE", "trailers, deflate"],
      ["Proxy-Authorization", "Basic Zm9vOmJhcg=="],
    ].flatMap(([name, value]) => ["-H", `${name}: ${value}`]);
    // With an unknown Upgrade the request is refused; without it, it is forwarded, stripped.
    await curl("-H", "Host: a.test", ...hopByHop, "-H", "Upgrade: something", `${WEB}/hop`).catch(() => "");
    await curl("-H", "Host: a.test", ...hopByHop, `${WEB}/hop2`);
    const got = seen.find((s) => s.url === "/hop2");
    assert.ok(got, "the origin saw the request");
    for (const h of ["x-private", "keep-alive", "proxy-connection", "proxy-authorization", "upgrade"])
      assert.equal(got.headers[h], undefined, `${h} must not be forwarded`);
    assert.notEqual(got.headers.te, "trailers, deflate");
    assert.equal(got.headers["x-forwarded-for"], "127.0.0.1");
    assert.equal(got.headers["x-forwarded-proto"], "http");
    assert.equal(got.headers["x-forwarded-host"], "a.test");
    assert.equal(
      seen.some((s) => s.url === "/hop"),
      false,
      "a request with an unknown Upgrade is not forwarded",
    );
  });
});
