import assert from "node:assert/strict";
import { test } from "node:test";
import { buildProxyHeaderV1 } from "./build-v1.ts";
import { buildProxyHeaderV2 } from "./build-v2.ts";
import { ProxyHeaderErrorCode } from "./errors.ts";
import { parseProxyHeader } from "./parse.ts";

const ends = { source: { address: "10.1.2.3", port: 1000 }, destination: { address: "10.9.9.9", port: 80 } };
const V1 = buildProxyHeaderV1(ends);
const V2 = buildProxyHeaderV2(ends);

test("detects each version from its first byte", () => {
  const one = parseProxyHeader(V1);
  assert.equal(one.kind === "header" && one.header.version, 1);
  const two = parseProxyHeader(V2);
  assert.equal(two.kind === "header" && two.header.version, 2);
});

test("an empty buffer is incomplete; anything else that is neither signature is refused at once", () => {
  assert.deepEqual(parseProxyHeader(Buffer.alloc(0)), { kind: "incomplete" });
  for (const start of ["G", "GET / HTTP/1.1\r\n", "\x16\x03\x01", "\0", "PRI * HTTP/2.0"]) {
    const r = parseProxyHeader(Buffer.from(start, "latin1"));
    assert.equal(r.kind === "error" && r.code, ProxyHeaderErrorCode.BAD_SIGNATURE, JSON.stringify(start));
  }
  // HTTP methods starting with P diverge from "PROXY " within a few bytes.
  for (const start of ["POST / HTTP/1.1", "PUT /", "PATCH /", "PROXY?"]) {
    const r = parseProxyHeader(Buffer.from(start, "latin1"));
    assert.equal(r.kind === "error" && r.code, ProxyHeaderErrorCode.BAD_SIGNATURE, start);
  }
});

test("allow restricts versions; a refused version is named while its signature matches", () => {
  assert.equal(parseProxyHeader(V1, { allow: "v1" }).kind, "header");
  assert.equal(parseProxyHeader(V2, { allow: "v2" }).kind, "header");
  assert.equal(parseProxyHeader(V1, { allow: "any" }).kind, "header");
  const noV1 = parseProxyHeader(V1, { allow: "v2" });
  assert.equal(noV1.kind === "error" && noV1.code, ProxyHeaderErrorCode.VERSION_NOT_ALLOWED);
  const noV2 = parseProxyHeader(V2, { allow: "v1" });
  assert.equal(noV2.kind === "error" && noV2.code, ProxyHeaderErrorCode.VERSION_NOT_ALLOWED);
  const firstByteOnly = parseProxyHeader(V2.subarray(0, 1), { allow: "v1" });
  assert.equal(
    firstByteOnly.kind === "error" && firstByteOnly.code,
    ProxyHeaderErrorCode.VERSION_NOT_ALLOWED,
  );
  const diverges = parseProxyHeader(Buffer.from("POST"), { allow: "v2" });
  assert.equal(diverges.kind === "error" && diverges.code, ProxyHeaderErrorCode.BAD_SIGNATURE);
});

test("the consumed length leaves client data to the caller, for both versions", () => {
  for (const h of [V1, V2]) {
    const data = Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    const r = parseProxyHeader(Buffer.concat([h, data]));
    assert.equal(r.kind, "header");
    if (r.kind !== "header") return;
    assert.equal(r.length, h.length);
    assert.deepEqual(Buffer.concat([h, data]).subarray(r.length), data);
  }
});
