// Builds upstreams from config text the way a generation does, with a log that the test can read.
import { Writable } from "node:stream";
import pino from "pino";
import { loadConfig } from "../../src/config/load.ts";
import { createMetrics } from "../../src/observe/metrics.ts";
import { Upstream, type UpstreamEnv } from "../../src/upstream/upstream.ts";

export interface TestEnv extends UpstreamEnv {
  /** Log records written so far, parsed. */
  lines: Record<string, unknown>[];
}

export function testEnv(): TestEnv {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split("\n")) if (l !== "") lines.push(JSON.parse(l));
      done();
    },
  });
  return { log: pino({ level: "info" }, stream), metrics: createMetrics(), lines };
}

/** An Upstream named `name` from the TOML body of `[upstreams.<name>]`. */
export function upstreamFrom(name: string, body: string, env: UpstreamEnv = testEnv()): Upstream {
  const loaded = loadConfig({ text: `[upstreams.${name}]\n${body}\n` });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const config = loaded.config.upstreams[name];
  if (config === undefined) throw new Error("no upstream");
  return new Upstream(name, config, env);
}

/** Polls `check` every 50 ms until it returns true, or fails after `ms`. */
export async function until(check: () => boolean, ms = 5_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const keys = (u: Upstream) => u.endpoints.map((e) => e.key).sort();
