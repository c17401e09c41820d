// The obvious Node reverse proxy, the yardstick of the HTTP row: node:http (and node:http2 for h2c by
// prior knowledge) in front, one undici Pool to the origin behind, headers passed through minus the
// hop-by-hop ones undici or node:http2 would refuse, bodies piped. No routing, no logging, no metrics.
// Usage: node bench/baselines/node-undici-proxy.ts H1_PORT H2_PORT ORIGIN_PORT
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createH2Server, type Http2ServerRequest } from "node:http2";
import { Pool } from "undici";

const [h1Port, h2Port, originPort] = process.argv.slice(2).map(Number);
const pool = new Pool(`http://127.0.0.1:${originPort}`, { connections: 256 });

const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te"];

function requestHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const name in headers) {
    if (name.charCodeAt(0) === 0x3a || HOP_BY_HOP.includes(name)) continue;
    out[name] = headers[name];
  }
  return out;
}

/** What both node:http's and node:http2's compat responses offer. */
type Response = Pick<ServerResponse, "headersSent" | "end"> & {
  writeHead(status: number, headers?: IncomingHttpHeaders): unknown;
} & NodeJS.WritableStream;

async function proxy(req: IncomingMessage | Http2ServerRequest, res: Response): Promise<void> {
  try {
    const method = req.method ?? "GET";
    const upstream = await pool.request({
      method: method as "GET",
      path: req.url ?? "/",
      headers: requestHeaders(req.headers),
      body: method === "GET" || method === "HEAD" ? null : req,
    });
    const headers = upstream.headers;
    for (const name of HOP_BY_HOP) delete headers[name];
    res.writeHead(upstream.statusCode, headers);
    upstream.body.pipe(res);
  } catch {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  }
}

createServer((req, res) => proxy(req, res as unknown as Response)).listen(h1Port, "127.0.0.1");
createH2Server((req, res) => proxy(req, res as unknown as Response)).listen(h2Port, "127.0.0.1");
// Exit through process.exit on SIGTERM so `--cpu-prof` profiles of the baseline get written.
process.on("SIGTERM", () => process.exit(0));
