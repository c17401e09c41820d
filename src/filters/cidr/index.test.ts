import assert from "node:assert/strict";
import { test } from "node:test";
import { compileAddressRule } from "./index.ts";

test("an address rule answers each address on its own, repeated or alternating (the last answer is cached)", () => {
  const passes = compileAddressRule({ allow: ["10.0.0.0/8", "2001:db8::/32"], deny: ["10.9.0.0/16"] });
  const cases: [string, boolean][] = [
    ["10.1.2.3", true],
    ["10.1.2.3", true],
    ["10.9.1.1", false],
    ["10.9.1.1", false],
    ["10.1.2.3", true],
    ["192.0.2.1", false],
    ["::ffff:10.1.2.3", true],
    ["2001:db8::1", true],
    ["2001:db9::1", false],
    ["unix", true],
    ["10.9.1.1", false],
  ];
  for (const [address, expected] of cases) assert.equal(passes(address), expected, address);
});
