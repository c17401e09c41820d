// Log files are opened by the supervisor (stage 1), as nginx's master does: it creates each file (and
// its folder) as the launching user and hands the file to the workers' user, so workers that run as
// `nobody` can open and, after a rotation, reopen it even in a folder only root may write to.
import { chownSync, closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import type { Config } from "../config/schema/index.ts";
import type { Identity } from "./privileges.ts";

/** The file outputs of `config` (not stdout/stderr). */
export function logFiles(config: Config): string[] {
  const outputs = [config.log.output];
  if (config.access_log.enabled) outputs.push(config.access_log.output);
  return [...new Set(outputs.filter((o) => o !== "stdout" && o !== "stderr"))];
}

/** Create every log file that does not exist yet and give it to the workers' user. Throws on failure. */
export function prepareLogFiles(config: Config, workers: Identity): void {
  const root = process.getuid?.() === 0;
  for (const file of logFiles(config)) {
    mkdirSync(dirname(file), { recursive: true });
    closeSync(openSync(file, "a", 0o640));
    if (root && workers.uid !== 0) chownSync(file, workers.uid, workers.gid);
  }
}
