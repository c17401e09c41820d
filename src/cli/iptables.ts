// `weir iptables`: the nat OUTPUT rules that make weir a transparent sidecar, for iptables and ip6tables.
// First an owner match returns the proxy user's own connections untouched (weir's workers run as that
// user, so what they send to an original destination is not redirected back to weir: the loop guard that
// sidecar init containers use), then the listed ports are REDIRECTed to the proxy port. It only prints:
// the rules are for whoever sets up the network namespace (an init container, a systemd unit, a test).
import { parseArgs } from "node:util";

export interface IptablesOptions {
  proxyPort: number;
  /** A user name or numeric uid (iptables' `--uid-owner` takes both). */
  proxyUser: string;
  /** Ports or "lo-hi" ranges, as the client dials them. */
  ports: readonly string[];
}

/** iptables' multiport match takes at most 15 ports, a range counting as two. */
const MULTIPORT_SLOTS = 15;

export class IptablesUsageError extends Error {
  override name = "IptablesUsageError";
}

const USER = /^[a-z_][a-z0-9_.-]*\$?$|^\d+$/i;

function checkPort(text: string, what: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535)
    throw new IptablesUsageError(`${what} must be a port in 1..65535, got "${text}"`);
  return Number(text);
}

/** Parses the command's arguments; throws IptablesUsageError on anything it cannot use. */
export function parseIptablesArgs(argv: readonly string[]): IptablesOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        "proxy-port": { type: "string" },
        "proxy-user": { type: "string" },
        ports: { type: "string" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new IptablesUsageError((err as Error).message);
  }
  const port = values["proxy-port"];
  const user = values["proxy-user"];
  const ports = values.ports;
  if (typeof port !== "string") throw new IptablesUsageError("--proxy-port is required");
  const proxyPort = checkPort(port, "--proxy-port");
  if (typeof user !== "string") throw new IptablesUsageError("--proxy-user is required");
  if (typeof ports !== "string")
    throw new IptablesUsageError("--ports is required (e.g. --ports 80,443,8000-8100)");
  if (!USER.test(user))
    throw new IptablesUsageError(`--proxy-user must be a user name or uid, got "${user}"`);
  const list = ports.split(",").map((p) => p.trim());
  for (const entry of list) {
    const range = /^(\d+)-(\d+)$/.exec(entry);
    if (range === null) {
      checkPort(entry, "--ports");
      continue;
    }
    if (checkPort(range[1]!, "--ports") > checkPort(range[2]!, "--ports"))
      throw new IptablesUsageError(`--ports range "${entry}" runs backwards`);
  }
  return { proxyPort, proxyUser: user, ports: list };
}

/** The ports in groups that fit one multiport match each, in iptables' spelling ("8000:8100"). */
function multiportGroups(ports: readonly string[]): string[] {
  const groups: string[][] = [];
  let slots = MULTIPORT_SLOTS;
  for (const entry of ports) {
    const cost = entry.includes("-") ? 2 : 1;
    if (groups.length === 0 || slots < cost) {
      groups.push([]);
      slots = MULTIPORT_SLOTS;
    }
    groups.at(-1)!.push(entry.replace("-", ":"));
    slots -= cost;
  }
  return groups.map((g) => g.join(","));
}

/** The rules, one command line each: iptables first, then the same for ip6tables. */
export function iptablesRules(opts: IptablesOptions): string[] {
  const lines: string[] = [];
  for (const tool of ["iptables", "ip6tables"]) {
    lines.push(`${tool} -t nat -A OUTPUT -p tcp -m owner --uid-owner ${opts.proxyUser} -j RETURN`);
    for (const group of multiportGroups(opts.ports))
      lines.push(
        `${tool} -t nat -A OUTPUT -p tcp -m multiport --dports ${group} -j REDIRECT --to-ports ${opts.proxyPort}`,
      );
  }
  return lines;
}

export const IPTABLES_USAGE = `Usage: weir iptables --proxy-port PORT --proxy-user USER --ports LIST

Print the nat OUTPUT rules, for iptables and ip6tables, that send the connections this network namespace
makes to the ports in LIST (e.g. 80,443,8000-8100) to a transparent listener on PORT, except those of USER
(weir's system.user, so that weir's own connections to the original destinations are not sent back to it).
Run them as root where the application runs; see docs/transparent.md.`;

/** `weir iptables ...`: prints the rules; 2 with a message on a usage error. */
export function iptablesCommand(
  argv: readonly string[],
  out: (text: string) => void,
  err: (text: string) => void,
): number {
  try {
    const opts = parseIptablesArgs(argv);
    out(`${iptablesRules(opts).join("\n")}\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof IptablesUsageError)) throw e;
    err(`weir iptables: ${e.message}\n\n${IPTABLES_USAGE}\n`);
    return 2;
  }
}
