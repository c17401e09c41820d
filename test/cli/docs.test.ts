// The README's option table is generated from the schema: it must not drift from it.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { withOptionTable } from "../../src/config/render/markdown.ts";
import { configSchema } from "../../src/config/schema/index.ts";

test("README.md's option table matches the schema (run `npm run docs` after changing an option)", () => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  assert.equal(readme, withOptionTable(readme, configSchema));
});
