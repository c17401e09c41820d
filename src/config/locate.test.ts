import assert from "node:assert/strict";
import { test } from "node:test";
import { locateKeys } from "./locate.ts";

const doc = `# comment
[log]
level = "info"

[listeners.web]
address = "127.0.0.1:80" # trailing
protocol = "http"

[[routes]]
host = "a.test"

[[routes]]
respond = { status = 200, body = "x = { not a key }" }

[[routes.filters]]
kind = "cidr"

[[routes]]
path_prefix = "/b"

[upstreams.b]
endpoints = [
  "127.0.0.1:1",
  "127.0.0.1:2",
]
tls = { certificates = [ { cert = "a" }, { cert = "b", key = "k" } ] }
`;

test("keys, tables and arrays of tables get their line and column", () => {
  const pos = locateKeys(doc);
  assert.deepEqual(pos.find(["log", "level"]), { line: 3, col: 1 });
  assert.deepEqual(pos.find(["listeners", "web", "protocol"]), { line: 7, col: 1 });
  assert.deepEqual(pos.find(["routes", 0, "host"]), { line: 10, col: 1 });
  assert.deepEqual(pos.find(["routes", 1, "respond", "status"]), { line: 13, col: 13 });
  assert.deepEqual(pos.find(["routes", 1, "filters", 0, "kind"]), { line: 16, col: 1 });
  assert.deepEqual(pos.find(["routes", 2, "path_prefix"]), { line: 19, col: 1 });
  assert.deepEqual(pos.find(["upstreams", "b", "endpoints", 1]), { line: 24, col: 3 });
  assert.deepEqual(pos.find(["upstreams", "b", "tls", "certificates", 1, "key"]), { line: 26, col: 56 });
});

test("an unknown path falls back to its nearest known ancestor", () => {
  const pos = locateKeys(doc);
  assert.deepEqual(pos.find(["listeners", "web", "nope"]), { line: 5, col: 1 });
  assert.deepEqual(pos.find(["nowhere"]), { line: 1, col: 1 });
});
