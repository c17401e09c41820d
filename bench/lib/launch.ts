/**
 * Starting a candidate from a generated config: find its program, write the config, start it pinned to
 * a core. A program that is not there comes back as the reason (a string) the row prints instead of
 * figures; nothing here throws for a missing tool.
 */

import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type NginxConfig, nginxConfig } from "./nginx-config.ts";
import { type Running, spawnPinned, which } from "./proc.ts";
import type { RowContext } from "./row.ts";

/** Why a row cannot use nginx here. */
export const NGINX_MISSING = "nginx not installed (Debian: nginx-light)";

/** nginx with `config` written to `file`, in the foreground, its prefix and error log in the temp folder. */
export function launchNginx(
  ctx: RowContext,
  name: string,
  core: number | null,
  file: string,
  config: NginxConfig,
): Running | string {
  const bin = which("nginx");
  if (bin === null) return NGINX_MISSING;
  writeFileSync(file, nginxConfig(config));
  return spawnPinned(name, core, bin, ["-p", ctx.tmp, "-e", config.errorLog, "-c", file]);
}

/** Why a row cannot use HAProxy here. */
export const HAPROXY_MISSING = "haproxy not installed (Debian: haproxy)";

/** HAProxy with the config `text` written to `file`, in the foreground (`-db`). */
export function launchHaproxy(
  name: string,
  core: number | null,
  file: string,
  text: string,
): Running | string {
  const bin = which("haproxy");
  if (bin === null) return HAPROXY_MISSING;
  writeFileSync(file, text);
  return spawnPinned(name, core, bin, ["-f", file, "-db"]);
}

/** `./bin/weir run` (supervisor and workers) with the config `text` written to `file`. */
export function launchWeir(
  ctx: RowContext,
  name: string,
  core: number | null,
  file: string,
  text: string,
): Running | string {
  const bin = join(ctx.root, "bin", "weir");
  if (!existsSync(bin)) return "./bin/weir not found";
  writeFileSync(file, text);
  return spawnPinned(name, core, bin, ["run", "--config", file]);
}

/** The last three lines of what `proc` printed, joined for one table cell, for saying why it failed. */
export function lastOutput(proc: Running): string {
  return proc.output().split("\n").slice(-3).join(" | ") || "no output";
}
