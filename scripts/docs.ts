// npm run docs: regenerate the option table in README.md from the config schema.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { withOptionTable } from "../src/config/render/markdown.ts";
import { configSchema } from "../src/config/schema/index.ts";

const readme = fileURLToPath(new URL("../README.md", import.meta.url));
writeFileSync(readme, withOptionTable(readFileSync(readme, "utf8"), configSchema));
console.log("README.md option table regenerated");
