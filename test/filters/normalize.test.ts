// Path normalisation before routing: no spelling of /admin reaches anything but the /admin route, and
// ambiguous paths are refused with 400.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { normalizePath } from "../../src/filters/normalize-path/index.ts";
import { originConfig, send, startOrigin, startWeir } from "./harness.ts";

describe("normalizePath", () => {
  const cases: [string, string][] = [
    ["/", "/"],
    ["/admin", "/admin"],
    ["/a/../admin", "/admin"],
    ["/%2e%2e/admin", "/admin"],
    ["/%2E%2E/admin", "/admin"],
    ["/%61dmin", "/admin"],
    ["//admin", "/admin"],
    ["/./admin", "/admin"],
    ["/a/b/../../admin/", "/admin/"],
    ["/../../admin", "/admin"],
    ["/a/.", "/a/"],
    ["/a/..", "/"],
    ["/a//b///c", "/a/b/c"],
    ["/caf%c3%a9", "/caf%C3%A9"],
    ["/a%20b", "/a%20b"],
    ["/.well-known/x", "/.well-known/x"],
    ["/a/...", "/a/..."],
    ["/%7euser", "/~user"],
  ];
  for (const [input, want] of cases) {
    test(`${input} → ${want}`, () => assert.equal(normalizePath(input), want));
  }
  for (const bad of ["/a%2Fb", "/a%2fb", "/a%5cb", "/a%00", "/a\u0000b", "/%zz", "/%4"]) {
    test(`${JSON.stringify(bad)} is refused`, () => assert.equal(typeof normalizePath(bad), "object"));
  }
});

describe("normalisation before routing", () => {
  test("every spelling of /admin hits the /admin route; the origin sees normalised paths", async (t) => {
    const origin = await startOrigin(t);
    const weir = await startWeir(
      t,
      originConfig(origin.port, {
        routes: `[[routes]]
path_prefix = "/admin"
respond = { status = 403, body = "forbidden\\n" }`,
      }),
    );
    for (const path of ["/admin", "/a/../admin", "/%2e%2e/admin", "/%61dmin", "//admin", "/./admin/x"]) {
      const res = await send(weir.port, path);
      assert.equal(res.status, 403, path);
      assert.equal(res.body, "forbidden\n", path);
    }
    const ok = await send(weir.port, "/a/./b//c/../d?x=/../y");
    assert.equal(ok.status, 200);
    assert.equal(origin.seen.at(-1)?.url, "/a/b/d?x=/../y");
    for (const path of ["/a%2Fadmin", "/x%00"]) {
      const res = await send(weir.port, path);
      assert.equal(res.status, 400, path);
    }
  });

  test("a CIDR deny on /admin is not dodged by /a/../admin or /%2e%2e/admin", async (t) => {
    const origin = await startOrigin(t);
    const weir = await startWeir(
      t,
      originConfig(origin.port, {
        routes: `[[routes]]
path_prefix = "/admin"
upstream = "origin"
[[routes.filters]]
kind = "cidr"
deny = ["127.0.0.2/32"]`,
      }),
    );
    for (const path of ["/admin", "/a/../admin", "/%2e%2e/admin", "/%61dmin", "//admin"]) {
      assert.equal((await send(weir.port, path, { localAddress: "127.0.0.2" })).status, 403, path);
      assert.equal((await send(weir.port, path, { localAddress: "127.0.0.1" })).status, 200, path);
    }
    assert.equal((await send(weir.port, "/other", { localAddress: "127.0.0.2" })).status, 200);
    assert.ok(origin.seen.every((s) => !s.url.includes("..") && !s.url.includes("%61")));
  });
});
