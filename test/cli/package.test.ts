// The published package: `npm pack`, install the tarball into an empty project, and run weir from
// node_modules, where Node does not strip types: this proves dist/ (JavaScript) is complete.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { connectTo, echoServer, listen, portOf, readAll } from "../lib/net.ts";
import { ROOT, startWeir, tempDir } from "../lib/weir-process.ts";

test("npm pack → npm install → weir runs from node_modules (dist/)", { timeout: 180_000 }, async (t) => {
  const dir = tempDir("weir-pack-");
  const npmEnv = { ...process.env, npm_config_audit: "false", npm_config_fund: "false" };
  const out = execFileSync("npm", ["pack", "--pack-destination", dir], {
    cwd: ROOT,
    env: npmEnv,
    encoding: "utf8",
  });
  const tarball = out.trim().split("\n").pop() as string;
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "consumer", version: "1.0.0", private: true, allowScripts: { weir: true } }),
  );
  execFileSync("npm", ["install", `./${tarball}`, "--prefer-offline"], {
    cwd: dir,
    env: npmEnv,
    stdio: "ignore",
  });

  // The installed bin runs the `node` on PATH: put the pinned Node first, as npm scripts do.
  const env = { PATH: `${dirname(process.execPath)}:${process.env.PATH}` };
  const weir = join(dir, "node_modules/.bin/weir");
  assert.match(execFileSync(weir, ["version"], { env, encoding: "utf8" }), /^weir \d+\.\d+\.\d+\n$/);
  const installed = join(dir, "node_modules/weir");
  assert.equal(
    existsSync(join(installed, "src")),
    false,
    "the package ships dist/, not the TypeScript sources",
  );
  assert.match(
    execFileSync(weir, ["check", "--config", join(installed, "examples/quickstart.toml")], {
      env,
      encoding: "utf8",
    }),
    /ok/,
  );

  // And it serves: supervisor and a worker, both from dist/.
  const echo = await listen(echoServer());
  t.after(() => echo.close());
  const free = await listen(echoServer());
  const port = portOf(free);
  free.close();
  const config = join(dir, "weir.toml");
  writeFileSync(
    config,
    `[system]\nworkers = 1\n[listeners.t]\naddress = "127.0.0.1:${port}"\nprotocol = "tcp"\nupstream = "e"\n[upstreams.e]\nendpoints = ["127.0.0.1:${portOf(echo)}"]\n`,
  );
  const running = startWeir(["run", "--config", config], { env, cwd: dir, bin: weir });
  t.after(() => running.stop());
  await running.waitFor(/"weir started"/);
  const s = await connectTo({ port });
  const reply = readAll(s);
  s.end("through the packaged weir");
  assert.equal((await reply).toString(), "through the packaged weir");
});
