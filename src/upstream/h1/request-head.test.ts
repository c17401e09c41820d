// requestHead(): the exact bytes of a request head to an upstream, its body framing (RFC 9112 §6), and
// refusal of anything that would let one request carry another.
import assert from "node:assert/strict";
import { test } from "node:test";
import { HttpError } from "../../http/errors.ts";
import { requestHead } from "./request-head.ts";

function assertInternal(fn: () => unknown, what: string): void {
  assert.throws(fn, (err: unknown) => err instanceof HttpError && err.code === "INTERNAL", what);
}

test("fields are written as given, in order, names and values untouched; Host kept when present", () => {
  const head = requestHead(
    "GET",
    "/a/b?c=d%20e",
    [
      "Host",
      "example.test",
      "X-Mixed-Case",
      "Value With  Spaces",
      "accept",
      "*/*",
      "x-dup",
      "1",
      "X-Dup",
      "2",
    ],
    "10.0.0.1:8080",
    false,
  );
  assert.equal(
    head.text,
    "GET /a/b?c=d%20e HTTP/1.1\r\n" +
      "Host: example.test\r\n" +
      "X-Mixed-Case: Value With  Spaces\r\n" +
      "accept: */*\r\n" +
      "x-dup: 1\r\n" +
      "X-Dup: 2\r\n" +
      "\r\n",
  );
  assert.equal(head.framing, "none");
});

test("Host is added from the fallback only when the fields carry none, in any case", () => {
  const without = requestHead("GET", "/", ["accept", "*/*"], "[::1]:8443", false);
  assert.equal(without.text, "GET / HTTP/1.1\r\naccept: */*\r\nhost: [::1]:8443\r\n\r\n");
  const upper = requestHead("GET", "/", ["HOST", "a.test"], "fallback:1", false);
  assert.equal(upper.text, "GET / HTTP/1.1\r\nHOST: a.test\r\n\r\n");
  assert.doesNotMatch(upper.text, /fallback/);
  // A field whose name merely has four letters is not Host.
  const near = requestHead("GET", "/", ["hast", "x"], "fb:1", false);
  assert.match(near.text, /\r\nhost: fb:1\r\n/);
});

test("a body without Content-Length is sent chunked; with one it is framed by its length", () => {
  const chunked = requestHead("POST", "/upload", ["content-type", "text/plain"], "h:1", true);
  assert.equal(chunked.framing, "chunked");
  assert.equal(
    chunked.text,
    "POST /upload HTTP/1.1\r\ncontent-type: text/plain\r\nhost: h:1\r\ntransfer-encoding: chunked\r\n\r\n",
  );
  const length = requestHead("PUT", "/x", ["Content-Length", "12"], "h:1", true);
  assert.equal(length.framing, "length");
  assert.equal(length.text, "PUT /x HTTP/1.1\r\nContent-Length: 12\r\nhost: h:1\r\n\r\n");
  assert.doesNotMatch(length.text, /transfer-encoding/i);
});

test("POST, PUT and PATCH without a body say content-length: 0; GET, DELETE and HEAD say nothing", () => {
  for (const method of ["POST", "PUT", "PATCH"]) {
    const head = requestHead(method, "/", [], "h:1", false);
    assert.equal(head.text, `${method} / HTTP/1.1\r\nhost: h:1\r\ncontent-length: 0\r\n\r\n`, method);
    assert.equal(head.framing, "none");
  }
  for (const method of ["GET", "DELETE", "HEAD", "OPTIONS"]) {
    const head = requestHead(method, "/", [], "h:1", false);
    assert.equal(head.text, `${method} / HTTP/1.1\r\nhost: h:1\r\n\r\n`, method);
  }
  // A zero length the client sent is kept once, not doubled.
  const given = requestHead("POST", "/", ["content-length", "0"], "h:1", false);
  assert.equal(given.text, "POST / HTTP/1.1\r\ncontent-length: 0\r\nhost: h:1\r\n\r\n");
});

test("without a body, a non-zero Content-Length is dropped: only a zero length is true", () => {
  const get = requestHead("GET", "/", ["content-length", "10", "x", "y"], "h:1", false);
  assert.equal(get.text, "GET / HTTP/1.1\r\nx: y\r\nhost: h:1\r\n\r\n");
  const post = requestHead("POST", "/", ["Content-Length", "10"], "h:1", false);
  assert.equal(post.text, "POST / HTTP/1.1\r\nhost: h:1\r\ncontent-length: 0\r\n\r\n");
});

test("CR, LF or NUL in a field value throws INTERNAL", () => {
  for (const bad of ["a\rb", "a\nb", "a\r\nX-Injected: 1", "a\0b", "trailing\r\n"]) {
    assertInternal(() => requestHead("GET", "/", ["x-test", bad], "h:1", false), JSON.stringify(bad));
  }
});

test("a bad field name throws INTERNAL", () => {
  for (const bad of ["", "x test", "x:y", "x\r\ny", "x(y)", "x\0", "é"]) {
    assertInternal(() => requestHead("GET", "/", [bad, "v"], "h:1", false), JSON.stringify(bad));
  }
});

test("a space, control character or DEL in the target throws INTERNAL", () => {
  for (const bad of [
    "/a b",
    "/a\tb",
    "/a\r\nHost: evil",
    "/a\0",
    "/a\x7f",
    "/ HTTP/1.1\r\n\r\nGET /smuggled",
  ]) {
    assertInternal(() => requestHead("GET", bad, [], "h:1", false), JSON.stringify(bad));
  }
  // Targets in every form RFC 9112 §3.2 allows pass.
  assert.match(requestHead("OPTIONS", "*", [], "h:1", false).text, /^OPTIONS \* HTTP\/1\.1\r\n/);
  assert.match(requestHead("GET", "http://a.test/x", [], "h:1", false).text, /^GET http:\/\/a\.test\/x /);
});

test("an empty target throws INTERNAL", () => {
  assertInternal(() => requestHead("GET", "", [], "h:1", false), "empty target");
});

test("a bad method throws INTERNAL", () => {
  for (const bad of ["", "GE T", "GET\r\n", "G\0", "GET/"]) {
    assertInternal(() => requestHead(bad, "/", [], "h:1", false), JSON.stringify(bad));
  }
  // Extension methods are tokens and pass.
  assert.match(requestHead("PROPFIND", "/", [], "h:1", false).text, /^PROPFIND \/ HTTP\/1\.1\r\n/);
});
