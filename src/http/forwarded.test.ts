import assert from "node:assert/strict";
import { test } from "node:test";
import { clientBehindProxies } from "./forwarded.ts";
import { compileTrusted } from "./trusted.ts";

const cdn = compileTrusted(["203.0.113.0/24", "2001:db8:cd::/48", "10.0.0.0/8"]);

test("the rightmost X-Forwarded-For address that is not a trusted proxy is the client", () => {
  assert.equal(clientBehindProxies("198.51.100.7", cdn, "203.0.113.9"), "198.51.100.7");
  assert.equal(clientBehindProxies("198.51.100.7, 203.0.113.5", cdn, "10.1.1.1"), "198.51.100.7");
  // A client that forges entries on the left cannot choose its own address.
  assert.equal(clientBehindProxies("1.1.1.1, 198.51.100.7, 203.0.113.5", cdn, "10.1.1.1"), "198.51.100.7");
  assert.equal(clientBehindProxies("2001:db8:1::5,2001:db8:cd::1", cdn, "10.1.1.1"), "2001:db8:1::5");
});

test("every entry trusted: the leftmost; ports and brackets are stripped; IPv4-mapped shown as IPv4", () => {
  assert.equal(clientBehindProxies("10.0.0.1, 203.0.113.5", cdn, "10.1.1.1"), "10.0.0.1");
  assert.equal(clientBehindProxies("198.51.100.7:4711", cdn, "10.1.1.1"), "198.51.100.7");
  assert.equal(clientBehindProxies("[2001:db8:1::5]:4711", cdn, "10.1.1.1"), "2001:db8:1::5");
  assert.equal(clientBehindProxies("::ffff:198.51.100.7", cdn, "10.1.1.1"), "198.51.100.7");
});

test("an entry that is not an address ends the walk at the last good one", () => {
  assert.equal(clientBehindProxies("unknown, 203.0.113.5", cdn, "10.1.1.1"), "203.0.113.5");
  assert.equal(clientBehindProxies("garbage", cdn, "10.1.1.1"), "10.1.1.1");
  assert.equal(clientBehindProxies("", cdn, "10.1.1.1"), "10.1.1.1");
  assert.equal(clientBehindProxies(" , ,", cdn, "10.1.1.1"), "10.1.1.1");
});
