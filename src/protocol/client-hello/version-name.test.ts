import assert from "node:assert/strict";
import { test } from "node:test";
import { tlsVersionName } from "./version-name.ts";

test("tlsVersionName names known versions, GREASE, drafts, and prints the rest in hex", () => {
  const cases: [number, string][] = [
    [0x0300, "SSL3"],
    [0x0301, "TLS1.0"],
    [0x0302, "TLS1.1"],
    [0x0303, "TLS1.2"],
    [0x0304, "TLS1.3"],
    [0x0a0a, "GREASE"],
    [0xfafa, "GREASE"],
    [0x1a2a, "0x1a2a"],
    [0x7f1c, "TLS1.3-draft28"],
    [0x0305, "0x0305"],
    [0x0002, "0x0002"],
    [0xfeff, "0xfeff"],
  ];
  for (const [version, name] of cases) assert.equal(tlsVersionName(version), name, version.toString(16));
});
