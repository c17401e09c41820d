import assert from "node:assert/strict";
import { test } from "node:test";
import { compileCidrs, isCidr, listed, plainAddress } from "./address.ts";

test("plainAddress writes IPv4-mapped IPv6 as IPv4 and leaves everything else alone", () => {
  assert.equal(plainAddress("::ffff:10.0.0.1"), "10.0.0.1");
  assert.equal(plainAddress("10.0.0.1"), "10.0.0.1");
  assert.equal(plainAddress("::1"), "::1");
  assert.equal(plainAddress("::ffff:not.an.ip"), "::ffff:not.an.ip");
  assert.equal(plainAddress("unix"), "unix");
});

test("isCidr accepts addresses and networks of both families, nothing else", () => {
  for (const ok of ["10.0.0.0/8", "192.0.2.7", "fd00::/8", "::1", "::1/128", "0.0.0.0/0"])
    assert.ok(isCidr(ok), ok);
  for (const bad of ["10.0.0.0/33", "fd00::/129", "10.0.0/8", "host", "10.0.0.0/", "10.0.0.0/8x", ""])
    assert.equal(isCidr(bad), false, bad);
});

test("a compiled list matches its networks in any spelling, and never a non-IP peer", () => {
  assert.equal(compileCidrs([]), undefined);
  const list = compileCidrs(["127.0.0.0/8", "::2/128", "192.0.2.7"]);
  assert.ok(list);
  assert.ok(listed(list, "127.1.2.3"));
  assert.ok(listed(list, "::ffff:127.0.0.1"));
  assert.ok(listed(list, "::2"));
  assert.ok(listed(list, "192.0.2.7"));
  assert.equal(listed(list, "192.0.2.8"), false);
  assert.equal(listed(list, "::1"), false);
  assert.equal(listed(list, "unix"), false);
});
