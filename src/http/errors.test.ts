import assert from "node:assert/strict";
import { test } from "node:test";
import { errorBody, fromUpstreamError, HTTP_ERRORS, HttpError } from "./errors.ts";

test("every catalog entry makes a well-formed HttpError", () => {
  for (const code of Object.keys(HTTP_ERRORS) as (keyof typeof HTTP_ERRORS)[]) {
    const e = new HttpError(code);
    assert.equal(e.code, code);
    assert.ok(e.status >= 400 && e.status <= 599, code);
    assert.match(errorBody(e), /^\d{3} [a-z0-9 -]+\n$/i);
  }
});

test("undici and socket failures map to 502/504 with retryability", () => {
  const of = (code: string) => fromUpstreamError(Object.assign(new Error(code), { code }));
  assert.equal(of("ECONNREFUSED").code, "CONNECT_FAILED");
  assert.equal(of("ECONNREFUSED").retryable, true);
  assert.equal(of("UND_ERR_CONNECT_TIMEOUT").status, 502);
  assert.equal(of("UND_ERR_HEADERS_TIMEOUT").status, 504);
  assert.equal(of("UND_ERR_SOCKET").code, "UPSTREAM_RESET");
  assert.equal(of("UND_ERR_SOCKET").retryable, false);
  const own = new HttpError("BODY_TOO_LARGE");
  assert.equal(fromUpstreamError(own), own);
});
