// A throwaway redis-server (Debian's) on a free port for the shared rate limit tests.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import type { TestContext } from "node:test";
import { requireProgram } from "../http/harness.ts";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts redis-server, or skips `t` when it is missing (fails in CI). Resolves its "host:port". */
export async function startRedis(t: TestContext): Promise<string | undefined> {
  if (!requireProgram(t, "redis-server")) return undefined;
  const port = await freePort();
  const child: ChildProcess = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  t.after(() => {
    child.kill("SIGKILL");
  });
  await new Promise<void>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 5000);
    child.stdout?.on("data", (d: Buffer) => {
      out += d;
      if (out.includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => reject(new Error(`redis-server exited ${code}: ${out}`)));
  });
  return `127.0.0.1:${port}`;
}
