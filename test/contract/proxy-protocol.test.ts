// shared/contract/proxy-protocol.toml, as its comments say: listener pp takes HTTP only after a v1 or v2
// header, only from loopback peers, and the origin sees the header's source in X-Forwarded-For; a
// connection without a valid header is closed. Listener pp_tcp tunnels to pp_out, which gets a v2 header
// with the client's address and port first, then the client's bytes unchanged.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer as createHttpServer, type IncomingHttpHeaders } from "node:http";
import { createServer, type Server, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import {
  buildProxyHeaderV1,
  buildProxyHeaderV2,
  parseProxyHeader,
} from "../../src/protocol/proxy-header/index.ts";
import { closed, connectTo, listen } from "../lib/net.ts";
import { startWeir, type WeirProcess } from "../lib/weir-process.ts";

const PP = 18000;
const PP_TCP = 18010;

/** The origin: answers with the X-Forwarded-For it received. */
function origin(seen: IncomingHttpHeaders[]): Server {
  return createHttpServer((req, res) => {
    seen.push(req.headers);
    const body = String(req.headers["x-forwarded-for"] ?? "");
    res.writeHead(200, { "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
}

interface Arrival {
  header: ReturnType<typeof parseProxyHeader>;
  rest: Buffer;
}

/** pp_out's endpoint: parses the header, then echoes everything after it until the client ends. */
function ppOut(arrivals: Arrival[]): Server {
  return createServer({ allowHalfOpen: true }, (s) => {
    s.on("error", () => {});
    let got = Buffer.alloc(0);
    let parsed: ReturnType<typeof parseProxyHeader> | undefined;
    const arrival: Arrival = { header: { kind: "incomplete" }, rest: Buffer.alloc(0) };
    arrivals.push(arrival);
    s.on("data", (c: Buffer) => {
      if (parsed !== undefined && parsed.kind === "header") {
        arrival.rest = Buffer.concat([arrival.rest, c]);
        s.write(c);
        return;
      }
      got = Buffer.concat([got, c]);
      parsed = parseProxyHeader(got);
      arrival.header = parsed;
      if (parsed.kind === "error") return void s.destroy();
      if (parsed.kind === "header") {
        arrival.rest = got.subarray(parsed.length);
        s.write(arrival.rest);
      }
    });
    s.on("end", () => s.end());
  });
}

/** One request over a fresh connection after `prefix`; the response body, or "closed". */
async function request(prefix: Buffer | string): Promise<string> {
  const s = await connectTo({ port: PP, host: "127.0.0.1" });
  return new Promise((resolve) => {
    let got = "";
    s.on("data", (d) => {
      got += d;
      const head = got.indexOf("\r\n\r\n");
      const m = /content-length: (\d+)/i.exec(got);
      if (head >= 0 && m && got.length >= head + 4 + Number(m[1])) {
        s.destroy();
        resolve(got.slice(head + 4));
      }
    });
    s.on("error", () => {});
    s.once("end", () => resolve("closed"));
    s.once("close", () =>
      resolve(got.includes("\r\n\r\n") ? got.slice(got.indexOf("\r\n\r\n") + 4) : "closed"),
    );
    const req = Buffer.from("GET / HTTP/1.1\r\nhost: contract\r\n\r\n");
    s.write(Buffer.concat([typeof prefix === "string" ? Buffer.from(prefix, "latin1") : prefix, req]));
  });
}

describe("contract: proxy-protocol.toml", { concurrency: false }, () => {
  let weir: WeirProcess;
  let web: Server;
  let out: Server;
  const seen: IncomingHttpHeaders[] = [];
  const arrivals: Arrival[] = [];

  before(async () => {
    web = await listen(origin(seen) as unknown as Server, 18001);
    out = await listen(ppOut(arrivals), 18011);
    weir = startWeir(["run", "--config", "examples/proxy-protocol.toml", "--workers", "1"]);
    await weir.waitFor(/"weir started"|"msg":"ready"/);
  });
  after(async () => {
    assert.equal(await weir.stop(), 0);
    (web as unknown as { closeAllConnections(): void }).closeAllConnections();
    web.close();
    out.close();
  });

  test("pp: a v1 header's source address reaches the origin in X-Forwarded-For", async () => {
    const header = buildProxyHeaderV1({
      source: { address: "203.0.113.7", port: 40000 },
      destination: { address: "127.0.0.1", port: PP },
    });
    assert.equal(await request(header), "203.0.113.7");
  });

  test("pp: a v2 header's source address (IPv6, with TLVs) reaches the origin in X-Forwarded-For", async () => {
    const header = buildProxyHeaderV2(
      {
        source: { address: "2001:db8::42", port: 40001 },
        destination: { address: "2001:db8::1", port: 443 },
        authority: "contract.example",
        uniqueId: Buffer.from("contract-1"),
      },
      { crc32c: true },
    );
    assert.equal(await request(header), "2001:db8::42");
  });

  test("pp: a connection without a valid header is closed and nothing reaches the origin", async () => {
    const before = seen.length;
    assert.equal(await request(""), "closed");
    assert.equal(await request("PROXY TCP4 999.0.0.1 127.0.0.1 1 2\r\n"), "closed");
    const bad = buildProxyHeaderV2(
      { source: { address: "203.0.113.8", port: 1 }, destination: { address: "127.0.0.1", port: PP } },
      { crc32c: true },
    );
    bad[bad.length - 1]! ^= 0xff;
    assert.equal(await request(bad), "closed");
    assert.equal(seen.length, before);
  });

  test("pp_tcp: pp_out gets a v2 header with the client's address and port, then the bytes unchanged", async () => {
    const s: Socket = await connectTo({ port: PP_TCP, host: "127.0.0.1" });
    const clientPort = s.localPort;
    const data = randomBytes(64 * 1024);
    const echoed: Buffer[] = [];
    s.on("data", (c: Buffer) => echoed.push(c));
    s.end(data);
    await closed(s);
    assert.ok(Buffer.concat(echoed).equals(data), "the client's bytes come back unchanged");
    const arrival = arrivals.at(-1);
    assert.ok(arrival);
    assert.equal(arrival.header.kind, "header", JSON.stringify(arrival.header));
    if (arrival.header.kind !== "header") return;
    const h = arrival.header.header;
    assert.equal(h.version, 2);
    assert.equal(h.command, "proxy");
    assert.deepEqual(h.source, { address: "127.0.0.1", port: clientPort });
    assert.deepEqual(h.destination, { address: "127.0.0.1", port: PP_TCP });
    assert.ok(arrival.rest.equals(data), "pp_out received exactly the client's bytes after the header");
  });
});
