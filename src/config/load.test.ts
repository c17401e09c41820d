import assert from "node:assert/strict";
import { test } from "node:test";
import { loadConfig } from "./load.ts";
import { formatProblem } from "./problems.ts";

const problems = (text: string, env = {}, flags = {}) => {
  const r = loadConfig({ file: "/etc/weir/w.toml", text, env, flags });
  assert.equal(r.ok, false);
  return r.ok ? [] : r.problems.map(formatProblem);
};

test("every problem is reported at once, each with file, line, column and key", () => {
  const out = problems(`[logg]
[log]
level = "verbose"
[listeners.web]
address = "127.0.0.1:80"
protocl = "http"
[listeners.again]
address = "127.0.0.1:80"
[[routes]]
upstream = "orgin"
[upstreams.origin]
endpoints = ["127.0.0.1:70000"]
connect_timeout = "5 seconds"
`);
  assert.deepEqual(out, [
    '/etc/weir/w.toml:1:1: logg: unknown key "logg" (did you mean "log"?)',
    '/etc/weir/w.toml:3:1: log.level: Invalid option: expected one of "trace"|"debug"|"info"|"warn"|"error"|"fatal"|"silent"',
    '/etc/weir/w.toml:6:1: listeners.web.protocl: unknown key "protocl" (did you mean "protocol"?)',
    '/etc/weir/w.toml:8:1: listeners.again.address: address 127.0.0.1:80 is already used by listener "web"',
    '/etc/weir/w.toml:10:1: routes[0].upstream: no upstream named "orgin" (did you mean "origin"?)',
    "/etc/weir/w.toml:12:14: upstreams.origin.endpoints[0]: port must be 0 to 65535",
    '/etc/weir/w.toml:13:1: upstreams.origin.connect_timeout: expected a duration such as "250ms", "30s", "5m" or "1h"',
  ]);
});

test("a TOML syntax error names its line and column", () => {
  const [line] = problems('[log]\nlevel = "info\n');
  assert.match(line, /^\/etc\/weir\/w\.toml:2:\d+: /);
});

test("flags win over the environment, which wins over the file", () => {
  const text = '[log]\nlevel = "warn"\n[system]\nworkers = 3\n';
  const r = loadConfig({
    text,
    env: { WEIR_LOG_LEVEL: "error", WEIR_WORKERS: "4" },
    flags: { "log-level": "debug" },
  });
  assert.ok(r.ok);
  assert.equal(r.config.log.level, "debug");
  assert.equal(r.config.system.workers, 4);
});

test("a bad value from the environment or a flag names where it came from", () => {
  assert.deepEqual(problems("", { WEIR_WORKERS: "many" }), [
    'environment WEIR_WORKERS: system.workers: expected a number of workers from 1 to 256, or "auto"',
  ]);
  assert.deepEqual(problems("", {}, { "log-level": "loud" }), [
    'command line --log-level: log.level: Invalid option: expected one of "trace"|"debug"|"info"|"warn"|"error"|"fatal"|"silent"',
  ]);
});

test("durations and sizes become numbers; relative paths resolve against the file's folder", () => {
  const r = loadConfig({
    file: "/etc/weir/w.toml",
    text: `[system]\npid_file = "run/weir.pid"\n[log]\noutput = "logs/weir.log"\n[listeners.s]\naddress = "unix:s.sock"\nprotocol = "tcp"\nupstream = "u"\nidle_timeout = "1.5s"\n[upstreams.u]\nendpoints = ["127.0.0.1:1"]\n`,
  });
  assert.ok(r.ok);
  assert.equal(r.config.system.pid_file, "/etc/weir/run/weir.pid");
  assert.equal(r.config.log.output, "/etc/weir/logs/weir.log");
  assert.equal(r.config.listeners.s.address, "unix:/etc/weir/s.sock");
  assert.equal(r.config.listeners.s.idle_timeout, 1500);
  assert.equal(r.config.listeners.s.http.max_header_size, 16384);
  assert.ok(Object.isFrozen(r.config.listeners.s));
});

test("a TLS listener that asks for ACME certificates needs an [acme] section", () => {
  assert.deepEqual(
    problems('[listeners.tls]\naddress = "127.0.0.1:5999"\nprotocol = "auto"\ntls = { acme = true }\n'),
    [
      "/etc/weir/w.toml:4:9: listeners.tls.tls.acme: tls.acme = true needs an [acme] section that says where to get certificates",
    ],
  );
});

test('a tls table on a "tcp" listener is refused instead of ignored', () => {
  const [line] = problems(
    '[listeners.t]\naddress = "127.0.0.1:5998"\nprotocol = "tcp"\nupstream = "u"\n[listeners.t.tls]\ncertificates = [{ cert = "c.pem", key = "k.pem" }]\n[upstreams.u]\nendpoints = ["127.0.0.1:1"]\n',
  );
  assert.match(
    line,
    /^\/etc\/weir\/w\.toml:5:1: listeners\.t\.tls: a "tcp" listener forwards bytes untouched/,
  );
});
