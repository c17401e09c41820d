// Command-line parsing: the config flags come from the schema; a few belong to the CLI itself.
import { parseArgs } from "node:util";
import { overridables } from "../config/overrides.ts";
import { configSchema } from "../config/schema/index.ts";

export class UsageError extends Error {}

export interface ParsedArgs {
  command: string[];
  configFile: string | undefined;
  flags: Record<string, string | undefined>;
  help: boolean;
  upgrade: boolean;
}

const schemaFlags = overridables(configSchema).filter((o) => o.flag);

export function parseCommandLine(argv: string[], env: NodeJS.ProcessEnv): ParsedArgs {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {
    config: { type: "string", short: "c" },
    help: { type: "boolean", short: "h" },
    upgrade: { type: "boolean" },
  };
  for (const o of schemaFlags) options[o.flag as string] = { type: "string" };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const flags: Record<string, string | undefined> = {};
  for (const o of schemaFlags) flags[o.flag as string] = values[o.flag as string] as string | undefined;
  return {
    command: parsed.positionals,
    configFile: (values.config as string | undefined) ?? env.WEIR_CONFIG,
    flags,
    help: values.help === true,
    upgrade: values.upgrade === true,
  };
}
