// `kind = "auth_request"`: external authorisation with the semantics of nginx's auth_request. Before a
// request goes on, a subrequest goes to `url` with the original method, `x-original-method`,
// `x-original-uri` (path and query), `x-forwarded-for` and the `forward_headers` the client sent; no body.
//   2xx      the request passes; `copy_headers` of the auth response replace those of the request;
//   401/403  the auth service's status, body and WWW-Authenticate go back to the client;
//   other    502 (the auth service answered something it should not);
//   failure  503 (unreachable, or slower than `timeout`).
// One undici Pool per filter keeps connections to the auth service alive.
import { Pool } from "undici";
import type { AuthRequestFilterConfig } from "../../config/schema/filters.ts";
import type { Reply, Verdict } from "../../http/phases.ts";
import type { RequestContext } from "../../http/request-context.ts";
import type { Logger } from "../../observe/log.ts";
import { getHeader, setHeader } from "../headers.ts";
import type { ProvisionedFilter } from "../types.ts";

/** Most bytes of a 401/403 body passed back to the client. */
const MAX_DENIAL_BODY = 64 * 1024;

function plain(status: number, text: string): Reply {
  return {
    status,
    headers: {
      "content-type": "text/plain; charset=utf-8",
      "content-length": String(Buffer.byteLength(text)),
    },
    body: text,
  };
}

/** Methods undici's request() sends as such; CONNECT is asked about as GET. */
function subrequestMethod(method: string): string {
  return method === "CONNECT" ? "GET" : method;
}

export function authRequestFilter(config: AuthRequestFilterConfig, log: Logger): ProvisionedFilter {
  const url = new URL(config.url);
  const pool = new Pool(url.origin, {
    connectTimeout: config.timeout,
    headersTimeout: config.timeout,
    bodyTimeout: config.timeout,
    keepAliveTimeout: 30_000,
  });
  const target = url.pathname + url.search;
  const forward = config.forward_headers;
  const copy = config.copy_headers;

  async function ask(ctx: RequestContext): Promise<Verdict> {
    const headers: Record<string, string> = {
      "x-original-method": ctx.method,
      "x-original-uri": ctx.path,
      "x-forwarded-for": ctx.client,
    };
    if (ctx.authority !== "") headers["x-forwarded-host"] = ctx.authority;
    for (const name of forward) {
      const value = getHeader(ctx.upstreamHeaders, name);
      if (value !== undefined) headers[name] = value;
    }
    const method = subrequestMethod(ctx.method);
    let res: Awaited<ReturnType<Pool["request"]>>;
    try {
      res = await pool.request({
        path: target,
        method: method as "GET",
        headers,
        headersTimeout: config.timeout,
        bodyTimeout: config.timeout,
      });
    } catch (err) {
      log.warn({ url: config.url, err: (err as Error).message }, "auth_request: auth service unavailable");
      return plain(503, "503 authorization service unavailable\n");
    }
    const status = res.statusCode;
    if (status >= 200 && status < 300) {
      await res.body.dump();
      for (const name of copy) {
        const value = res.headers[name];
        if (value !== undefined)
          setHeader(ctx.upstreamHeaders, name, Array.isArray(value) ? value.join(", ") : value);
      }
      return undefined;
    }
    if (status === 401 || status === 403) {
      let body: Buffer;
      try {
        body = await readLimited(res.body, MAX_DENIAL_BODY);
      } catch {
        body = Buffer.alloc(0);
      }
      const out: Record<string, string> = { "content-length": String(body.length) };
      const type = res.headers["content-type"];
      if (typeof type === "string") out["content-type"] = type;
      const challenge = res.headers["www-authenticate"];
      if (challenge !== undefined)
        out["www-authenticate"] = Array.isArray(challenge) ? challenge.join(", ") : challenge;
      return { status, headers: out, body: method === "HEAD" ? undefined : body };
    }
    await res.body.dump().catch(() => {});
    log.warn({ url: config.url, status }, "auth_request: unexpected status from the auth service");
    return plain(502, "502 unexpected answer from the authorization service\n");
  }

  return {
    name: "auth_request",
    requestArrival: ask,
    close: () => pool.close(),
  };
}

async function readLimited(
  body: AsyncIterable<Buffer> & { dump(): Promise<void> },
  max: number,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > max) {
      await body.dump();
      break;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
