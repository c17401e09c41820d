import { renderFlags } from "../config/render/env.ts";
import { configSchema } from "../config/schema/index.ts";
import { IPTABLES_USAGE } from "./iptables.ts";

const COMMANDS = `Commands:
  run      [--config FILE] [flags]       serve (SIGTERM/SIGINT stop, SIGHUP reloads, SIGUSR1 reopens logs)
  check    [--config FILE] [flags]       validate the config; print FILE:LINE:COL: problems and exit 2 if any
  config defaults                        every option with its default and doc, as TOML
  config env                             every environment variable and the option it sets
  config show [--config FILE] [flags]    the effective config (file < environment < flags), as TOML
  config schema                          JSON Schema of the config file, for editors
  iptables --proxy-port P --proxy-user U --ports LIST
                                         print the iptables/ip6tables rules of a transparent sidecar
  version                                print the version`;

const COMMON = `Options:
  -c, --config FILE                 config file (env WEIR_CONFIG); default: the built-in quickstart
  -h, --help                        this help`;

export function helpText(command?: string): string {
  if (command === "iptables") return `${IPTABLES_USAGE}\n`;
  const flags = renderFlags(configSchema).join("\n");
  const usage =
    command === "run"
      ? "Usage: weir run [--config FILE] [--upgrade] [flags]\n\nServe the config. --upgrade takes the listening sockets over from a running instance through system.upgrade_socket."
      : command === "check"
        ? "Usage: weir check [--config FILE] [flags]\n\nValidate the config completely and exit: 0 when it is good, 2 with every problem on stderr."
        : command === "config"
          ? "Usage: weir config defaults|env|show|schema [--config FILE] [flags]"
          : `weir: a reverse proxy for TCP, HTTP/1, HTTP/2 and TLS.\n\nUsage: weir <command> [options]\n\n${COMMANDS}`;
  return `${usage}\n\n${COMMON}\n\nConfig flags (they win over environment variables, which win over the file):\n${flags}\n\nExit codes: 0 success, 1 runtime failure, 2 usage or config error.\n`;
}
