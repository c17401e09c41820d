import assert from "node:assert/strict";
import { test } from "node:test";
import { buildProxyHeaderV1 } from "./build-v1.ts";
import { ProxyHeaderBuildError, ProxyHeaderErrorCode } from "./errors.ts";
import type { InetEndpoint } from "./types.ts";

const line = (b: Buffer) => b.toString("latin1");
const at = (address: string, port: number): InetEndpoint => ({ address, port });
/** The v1 line for one address pair. */
const lineFor = (source: InetEndpoint, destination: InetEndpoint) =>
  line(buildProxyHeaderV1({ source, destination }));

test("TCP4 and TCP6 lines, exactly as §2.1 spells them", () => {
  assert.equal(
    lineFor(at("192.168.0.1", 56324), at("192.168.0.11", 443)),
    "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n",
  );
  assert.equal(lineFor(at("2001:DB8:0:0::1", 0), at("::1", 65535)), "PROXY TCP6 2001:db8::1 ::1 0 65535\r\n");
});

test("mapped IPv6 is sent as TCP4; a mixed pair as TCP6 with the IPv4 side mapped", () => {
  assert.equal(lineFor(at("::ffff:10.0.0.1", 1), at("10.0.0.2", 2)), "PROXY TCP4 10.0.0.1 10.0.0.2 1 2\r\n");
  assert.equal(lineFor(at("10.0.0.1", 1), at("::1", 2)), "PROXY TCP6 ::ffff:10.0.0.1 ::1 1 2\r\n");
});

test("what v1 cannot say becomes UNKNOWN", () => {
  const ends = { source: { address: "1.2.3.4", port: 1 }, destination: { address: "1.2.3.4", port: 2 } };
  for (const h of [
    {},
    { command: "local" as const, ...ends },
    { transport: "dgram" as const, ...ends },
    { source: { path: "/a" }, destination: { path: "/b" } },
    { source: ends.source },
  ]) {
    assert.equal(line(buildProxyHeaderV1(h)), "PROXY UNKNOWN\r\n", JSON.stringify(h));
  }
});

test("invalid addresses and ports throw ProxyHeaderBuildError", () => {
  for (const [source, code] of [
    [at("nope", 1), ProxyHeaderErrorCode.BAD_ADDRESS],
    [at("1.2.3.4", 70000), ProxyHeaderErrorCode.BAD_PORT],
  ] as const) {
    assert.throws(
      () => lineFor(source, at("1.2.3.4", 1)),
      (e) => e instanceof ProxyHeaderBuildError && e.code === code,
    );
  }
});
