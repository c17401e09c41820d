import { readFileSync } from "node:fs";

/** The package version, read from package.json beside src/ (or dist/ in a published package). */
export const VERSION: string = JSON.parse(
  readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
).version;
