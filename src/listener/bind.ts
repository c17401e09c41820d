// In-process binding of a listener's address, for a weir that runs in one process (tests, workers = 0)
// and the supervisor's own checks. A Unix socket path left behind by a dead process is removed; one that
// a live process still serves is an error, never stolen.
import { lstatSync, unlinkSync } from "node:fs";
import { connect } from "node:net";
import { type ListenAddress, parseListenAddress } from "./address.ts";

/** Remove `path` if it is a socket nobody accepts on. Throws EADDRINUSE if someone does. */
export async function removeStaleSocket(path: string): Promise<void> {
  let stat: ReturnType<typeof lstatSync>;
  try {
    stat = lstatSync(path);
  } catch {
    return; // nothing there
  }
  if (!stat.isSocket()) {
    throw Object.assign(new Error(`${path} exists and is not a socket; not removing it`), { code: "EEXIST" });
  }
  const alive = await new Promise<boolean>((resolve) => {
    const probe = connect({ path });
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
  if (alive) throw Object.assign(new Error(`${path} is served by another process`), { code: "EADDRINUSE" });
  unlinkSync(path);
}

export function listenArgs(
  address: string,
): { path: string } | { host: string; port: number; ipv6Only: boolean } {
  const a: ListenAddress = parseListenAddress(address);
  return a.kind === "unix" ? { path: a.path } : { host: a.host, port: a.port, ipv6Only: a.host !== "::" };
}
