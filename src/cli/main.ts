#!/usr/bin/env node
// weir's command line. Exit codes: 0 success, 1 runtime failure, 2 usage or config error.
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { type LoadResult, loadConfig } from "../config/load.ts";
import { formatProblem } from "../config/problems.ts";
import { renderDefaults } from "../config/render/defaults.ts";
import { renderEnv } from "../config/render/env.ts";
import { renderEffective } from "../config/render/show.ts";
import { configSchema } from "../config/schema/index.ts";
import { checkTlsFiles } from "../tls/file-keeper.ts";
import { type ParsedArgs, parseCommandLine, UsageError } from "./args.ts";
import { helpText } from "./help.ts";
import { iptablesCommand } from "./iptables.ts";
import { control, run } from "./run.ts";
import { VERSION } from "./version.ts";

/** The embedded default config: what `npm start` and a bare `weir run` serve. */
export const QUICKSTART = fileURLToPath(new URL("../../examples/quickstart.toml", import.meta.url));

async function main(argv: string[]): Promise<number> {
  // `weir iptables` has flags of its own, none of them config options.
  if (argv[0] === "iptables") {
    if (argv.includes("--help") || argv.includes("-h")) {
      process.stdout.write(helpText("iptables"));
      return 0;
    }
    return iptablesCommand(
      argv.slice(1),
      (t) => process.stdout.write(t),
      (t) => process.stderr.write(t),
    );
  }
  let args: ParsedArgs;
  try {
    args = parseCommandLine(argv, process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`weir: ${err.message}\nRun 'weir --help' for usage.\n`);
    return 2;
  }
  const [command, sub, ...rest] = args.command;
  if (args.help || command === "help") {
    process.stdout.write(helpText(command === "help" ? sub : command));
    return 0;
  }
  const extra = command === "config" ? rest : [sub, ...rest].filter((x) => x !== undefined);
  if (extra.length > 0) return usage(`unexpected argument "${extra[0]}"`);
  switch (command) {
    case undefined:
      process.stdout.write(helpText());
      return 2;
    case "version":
      process.stdout.write(`weir ${VERSION}\n`);
      return 0;
    case "check": {
      const loaded = load(args);
      if (!loaded.ok) return 2;
      // What `run` reads before it starts: certificates and keys that must match, CA bundles.
      const tls = checkTlsFiles(loaded.config);
      if (tls !== undefined) {
        process.stderr.write(`weir: ${tls}\n`);
        return 2;
      }
      process.stdout.write(`${loaded.file ?? "config"}: ok\n`);
      return 0;
    }
    case "run": {
      const loaded = load(args);
      if (!loaded.ok) return 2;
      return run(loaded, { upgrade: args.upgrade, reload: () => loadConfig(loadInput(args)) });
    }
    case "reload":
    case "stop": {
      const loaded = load(args);
      if (!loaded.ok) return 2;
      return control(loaded.config, command);
    }
    case "config":
      return configCommand(sub, args);
    default:
      return usage(`unknown command "${command}"`);
  }
}

function configCommand(sub: string | undefined, args: ParsedArgs): number {
  switch (sub) {
    case "defaults":
      process.stdout.write(renderDefaults(configSchema));
      return 0;
    case "env":
      process.stdout.write(renderEnv(configSchema));
      return 0;
    case "schema":
      process.stdout.write(`${JSON.stringify(z.toJSONSchema(configSchema, { io: "input" }), null, 2)}\n`);
      return 0;
    case "show": {
      const loaded = load(args);
      if (!loaded.ok) return 2;
      process.stdout.write(renderEffective(configSchema, loaded.config));
      return 0;
    }
    default:
      return usage(
        sub ? `unknown config command "${sub}"` : "config needs one of: defaults, env, show, schema",
      );
  }
}

/** Load and validate; on failure print every problem, one per line. */
function load(args: ParsedArgs): LoadResult {
  const result = loadConfig(loadInput(args));
  if (!result.ok) for (const p of result.problems) process.stderr.write(`${formatProblem(p)}\n`);
  return result;
}

function loadInput(args: ParsedArgs) {
  return { file: args.configFile ?? QUICKSTART, env: process.env, flags: args.flags };
}

function usage(message: string): number {
  process.stderr.write(`weir: ${message}\nRun 'weir --help' for usage.\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0 || !process.argv.includes("run")) process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`weir: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
