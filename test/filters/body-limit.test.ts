// body_limit: request bodies over the limit get 413 (declared or chunked); responses over it are refused
// with 502 before their head, or cut once it was sent.
import assert from "node:assert/strict";
import { request } from "node:http";
import { test } from "node:test";
import { originConfig, send, startOrigin, startWeir } from "./harness.ts";

async function setup(t: import("node:test").TestContext, responseSize: number) {
  const origin = await startOrigin(t, (req, res, seen) => {
    const size = req.url === "/big" ? responseSize : 10;
    const chunked = req.url === "/big-chunked";
    res.writeHead(200, chunked ? {} : { "content-length": size });
    if (chunked) {
      res.write(Buffer.alloc(600, 0x61));
      setTimeout(() => res.end(Buffer.alloc(600, 0x62)), 20);
    } else res.end(Buffer.alloc(size, 0x61));
    void seen;
  });
  const weir = await startWeir(
    t,
    originConfig(origin.port, {
      filters: `[[routes.filters]]
kind = "body_limit"
request = "1KiB"
response = "1KiB"`,
    }),
  );
  return { origin, weir };
}

test("a request body over the limit gets 413, declared or chunked; one under it passes", async (t) => {
  const { origin, weir } = await setup(t, 10);
  assert.equal((await send(weir.port, "/", { method: "POST", body: Buffer.alloc(1024) })).status, 200);
  assert.equal((await send(weir.port, "/", { method: "POST", body: Buffer.alloc(1025) })).status, 413);
  const chunked = await send(weir.port, "/", { method: "POST", body: Buffer.alloc(5000), chunked: true });
  assert.equal(chunked.status, 413);
  assert.equal(origin.seen.filter((s) => s.body.length > 1024).length, 0);
});

test("a response over the limit: 502 when declared, cut when it grows past it", async (t) => {
  const { weir } = await setup(t, 4096);
  assert.equal((await send(weir.port, "/small")).status, 200);
  assert.equal((await send(weir.port, "/big")).status, 502);
  const cut = await new Promise<string>((resolve) => {
    const req = request({ port: weir.port, path: "/big-chunked", agent: false }, (res) => {
      res.on("data", () => {});
      res.on("error", () => resolve("cut"));
      res.on("aborted", () => resolve("cut"));
      res.on("end", () => resolve("complete"));
    });
    req.on("error", () => resolve("cut"));
    req.end();
  });
  assert.equal(cut, "cut");
});
