// The command line as users type it: ./bin/weir as a real process.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { listen, portOf } from "../lib/net.ts";
import { runWeir, tempDir, writeConfig } from "../lib/weir-process.ts";
import { makeCa, makeLeaf } from "../tls/certs.ts";

test("version prints the package version", async () => {
  const { code, stdout } = await runWeir(["version"]);
  assert.equal(code, 0);
  assert.match(stdout, /^weir \d+\.\d+\.\d+\n$/);
});

test("--help documents every command and every config flag, on every command", async () => {
  for (const args of [["--help"], ["run", "--help"], ["check", "--help"], ["config", "--help"]]) {
    const { code, stdout } = await runWeir(args);
    assert.equal(code, 0, args.join(" "));
    for (const flag of ["--config", "--log-level", "--log-output", "--admin-listen", "--workers"])
      assert.ok(stdout.includes(flag), `${args.join(" ")} documents ${flag}`);
  }
  const { stdout } = await runWeir(["--help"]);
  for (const cmd of [
    "run",
    "check",
    "config defaults",
    "config env",
    "config show",
    "config schema",
    "version",
  ])
    assert.ok(stdout.includes(cmd), `--help lists ${cmd}`);
});

test("usage errors exit 2 with a message", async () => {
  for (const args of [["frobnicate"], ["run", "--no-such-flag"], ["config", "nope"], ["version", "extra"]]) {
    const { code, stderr } = await runWeir(args);
    assert.equal(code, 2, args.join(" "));
    assert.match(stderr, /^weir: /);
  }
});

test("check accepts every example config", async () => {
  for (const name of ["quickstart", "tcp", "http"]) {
    const { code, stdout, stderr } = await runWeir(["check", "--config", `examples/${name}.toml`]);
    assert.equal(code, 0, `${name}: ${stderr}`);
    assert.match(stdout, /ok/);
  }
});

test("check refuses a bad config with FILE:LINE:COL: lines, all of them, exit 2", async () => {
  const file = writeConfig(`[log]
levl = "info"

[listeners.a]
address = "127.0.0.1:7001"
protocol = "tcp"
upstream = "nowhere"

[[routes]]
upstream = "b"
`);
  const { code, stderr } = await runWeir(["check", "--config", file]);
  assert.equal(code, 2);
  const lines = stderr.trim().split("\n");
  assert.deepEqual(lines, [
    `${file}:2:1: log.levl: unknown key "levl" (did you mean "level"?)`,
    `${file}:7:1: listeners.a.upstream: no upstream named "nowhere"`,
    `${file}:10:1: routes[0].upstream: no upstream named "b"`,
  ]);
});

test("a TOML syntax error is refused with its place", async () => {
  const file = writeConfig('[log\nlevel = "info"\n');
  const { code, stderr } = await runWeir(["check", "--config", file]);
  assert.equal(code, 2);
  assert.match(stderr, new RegExp(`^${file.replace(/[.]/g, "\\.")}:1:\\d+: `));
});

test("config defaults is a TOML file that check accepts, documenting every option", async () => {
  const { code, stdout } = await runWeir(["config", "defaults"]);
  assert.equal(code, 0);
  for (const key of [
    "workers = ",
    "level = ",
    "grace_period = ",
    "# address = ",
    "# endpoints = ",
    "# [[routes]]",
  ])
    assert.ok(stdout.includes(key), `defaults mention ${key}`);
  const file = join(tempDir(), "defaults.toml");
  writeFileSync(file, stdout);
  const check = await runWeir(["check", "--config", file]);
  assert.equal(check.code, 0, check.stderr);
});

test("config env lists every environment variable with the option it sets", async () => {
  const { code, stdout } = await runWeir(["config", "env"]);
  assert.equal(code, 0);
  for (const [env, key] of [
    ["WEIR_CONFIG", ""],
    ["WEIR_LOG_LEVEL", "log.level"],
    ["WEIR_LOG_OUTPUT", "log.output"],
    ["WEIR_ADMIN_LISTEN", "admin.listen"],
    ["WEIR_WORKERS", "system.workers"],
  ])
    assert.match(stdout, new RegExp(`^${env} .*${key.replace(".", "\\.")}`, "m"));
});

test("config show applies file < environment < flags", async () => {
  const file = writeConfig('[log]\nlevel = "warn"\noutput = "stdout"\n[system]\nworkers = 3\n');
  const { code, stdout } = await runWeir(["config", "show", "--config", file, "--log-level", "debug"], {
    env: { WEIR_LOG_LEVEL: "error", WEIR_WORKERS: "5", WEIR_ADMIN_LISTEN: "127.0.0.1:9999" },
  });
  assert.equal(code, 0);
  assert.match(stdout, /level = "debug"/);
  assert.match(stdout, /workers = 5/);
  assert.match(stdout, /output = "stdout"/);
  assert.match(stdout, /listen = "127\.0\.0\.1:9999"/);
  assert.match(stdout, /grace_period = "5s"/);
});

test("WEIR_CONFIG names the file when --config is absent", async () => {
  const file = writeConfig('[log]\nlevel = "nope"\n');
  const { code, stderr } = await runWeir(["check"], { env: { WEIR_CONFIG: file } });
  assert.equal(code, 2);
  assert.ok(stderr.startsWith(`${file}:2:1: log.level:`), stderr);
});

test("config schema is a JSON Schema that refuses unknown keys", async () => {
  const { code, stdout } = await runWeir(["config", "schema"]);
  assert.equal(code, 0);
  const schema = JSON.parse(stdout);
  assert.equal(schema.type, "object");
  assert.equal(schema.additionalProperties, false);
  assert.ok(schema.properties.listeners && schema.properties.upstreams && schema.properties.routes);
  assert.ok(schema.properties.log.properties.level.description.length > 0);
});

test("a port in use: one line naming the listener and address, exit 1", async () => {
  const busy = await listen(createServer(), 0);
  const port = portOf(busy);
  const file = writeConfig(`[listeners.taken]
address = "127.0.0.1:${port}"
protocol = "tcp"
upstream = "u"
[upstreams.u]
endpoints = ["127.0.0.1:1"]
`);
  const { code, stderr } = await runWeir(["run", "--config", file, "--workers", "1"]);
  busy.close();
  assert.equal(code, 1);
  const lines = stderr
    .trim()
    .split("\n")
    .filter((l) => !l.startsWith("{"));
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0], new RegExp(`listener "taken".*127\\.0\\.0\\.1:${port}.*EADDRINUSE`));
});

test("a Unix socket path that cannot be bound: one line, exit 1", async () => {
  const file = writeConfig(`[listeners.sock]
address = "unix:/nonexistent-dir/weir.sock"
protocol = "tcp"
upstream = "u"
[upstreams.u]
endpoints = ["127.0.0.1:1"]
`);
  const { code, stderr } = await runWeir(["run", "--config", file, "--workers", "1"]);
  assert.equal(code, 1);
  const lines = stderr
    .trim()
    .split("\n")
    .filter((l) => !l.startsWith("{"));
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0], /listener "sock".*unix:\/nonexistent-dir\/weir\.sock/);
});

test("check reads the TLS files as run would: a key that does not match its certificate is refused, naming both", async () => {
  const dir = tempDir();
  const ca = makeCa(dir);
  const a = makeLeaf(ca, "a", ["a.test"]);
  const b = makeLeaf(ca, "b", ["b.test"]);
  const config = (key: string) =>
    writeConfig(`
[listeners.edge]
address = "127.0.0.1:7443"
[listeners.edge.tls]
certificates = [{ cert = "${a.cert}", key = "${key}" }]
[[routes]]
respond = { status = 200 }
`);
  const good = await runWeir(["check", "--config", config(a.key)]);
  assert.equal(good.code, 0, good.stderr);
  const bad = await runWeir(["check", "--config", config(b.key)]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /listener "edge"/);
  assert.ok(bad.stderr.includes(b.key) && bad.stderr.includes(a.cert), bad.stderr);
});
