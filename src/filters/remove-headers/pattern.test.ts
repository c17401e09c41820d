import assert from "node:assert/strict";
import { test } from "node:test";
import { compileNameMatcher, globPrefix, namePattern, regexPrefix } from "./pattern.ts";

test("literal prefixes of globs and regular expressions", () => {
  assert.equal(globPrefix("X-Internal-*"), "x-internal-");
  assert.equal(globPrefix("x-?bc"), "x-");
  assert.equal(globPrefix("*-secret"), "");
  assert.equal(globPrefix("server"), "server");
  assert.equal(regexPrefix("^x-debug-"), "x-debug-");
  assert.equal(regexPrefix("^X-Debug"), "x-debug");
  assert.equal(regexPrefix("^ab*"), "a", "b may be absent");
  assert.equal(regexPrefix("^ab?c"), "a");
  assert.equal(regexPrefix("^ab{0,2}"), "a");
  assert.equal(regexPrefix("^ab+"), "ab");
  assert.equal(regexPrefix("^a(b|c)"), "", "an alternative anywhere: no prefix");
  assert.equal(regexPrefix("^x|y"), "");
  assert.equal(regexPrefix("x-debug-"), "", "not anchored");
  assert.equal(regexPrefix("^\\x41"), "");
  assert.equal(regexPrefix("^x[-_]debug"), "x");
  assert.equal(regexPrefix("^a*"), "");
});

test("the name matcher answers as the compiled regular expression does", () => {
  const cases: [string[], string[]][] = [
    [["x-internal-*"], []],
    [[], ["^x-debug-"]],
    [
      ["x-internal-*", "x-?ecret"],
      ["^x-debug-", "^server$"],
    ],
    [["*-secret"], []],
    [[], ["debug"]],
    [[], ["^x-(a|b)"]],
    [[], ["^ab*c"]],
    [["X-Upper-*"], ["^X-DEBUG"]],
    [["cookie"], ["^set-cookie$"]],
  ];
  const names = [
    "x-internal-a",
    "X-Internal-B",
    "x-internal-",
    "x-interna",
    "x-weir-client",
    "Host",
    "host",
    "x-debug-1",
    "X-DEBUG-2",
    "x-debugger",
    "x-secret",
    "X-Secret",
    "my-secret",
    "server",
    "Server",
    "servers",
    "x-a",
    "x-b",
    "x-c",
    "ac",
    "abbbc",
    "abd",
    "x-upper-1",
    "x-debug",
    "cookie",
    "Cookie",
    "set-cookie",
    "Set-Cookie",
    "",
    "x",
    "x-",
    "debug",
    "xdebug",
  ];
  for (const [globs, regexes] of cases) {
    const matcher = compileNameMatcher(globs, regexes)!;
    const pattern = namePattern(globs, regexes)!;
    for (const name of names)
      assert.equal(matcher(name), pattern.test(name), `${JSON.stringify([globs, regexes])} on "${name}"`);
  }
  assert.equal(compileNameMatcher([], []), undefined);
});
