import assert from "node:assert/strict";
import { test } from "node:test";
import { routingHost } from "./host.ts";

test("routingHost reduces Host values to the name routes match on", () => {
  assert.equal(routingHost("a.test"), "a.test");
  assert.equal(routingHost("A.Test:8080"), "a.test");
  assert.equal(routingHost("a.test."), "a.test");
  assert.equal(routingHost("a.test.:80"), "a.test");
  assert.equal(routingHost("127.0.0.1:16000"), "127.0.0.1");
  assert.equal(routingHost("[::1]:80"), "[::1]");
  assert.equal(routingHost("[2001:DB8::1]"), "[2001:db8::1]");
  assert.equal(routingHost("a.test:"), "a.test");
  assert.equal(routingHost(""), "");
});

test("routingHost refuses values that are not uri-host [':' port] (RFC 9112 §3.2)", () => {
  for (const bad of [
    "a test",
    "a.test:80:80",
    "a.test:http",
    "a/b",
    "[::1",
    "[zz::1]",
    ":80",
    "a.test:123456",
    "é.test",
    "a@b",
  ]) {
    assert.equal(routingHost(bad), undefined, bad);
  }
});
