// Stage 2 of weir's privilege model: who a worker runs as, and the drop to it.
//
// The supervisor resolves `system.user` / `system.group` to numbers once per config (so a typo fails the
// start or the reload, not every worker), and refuses root workers unless `allow_root_workers`. A worker
// then drops, in the only order that works: supplementary groups (initgroups), then gid, then uid; after
// setuid it could no longer change its groups.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

export interface Identity {
  /** The user name, for initgroups(3); undefined when workers keep the launching user. */
  user: string | undefined;
  uid: number;
  gid: number;
}

/** Why workers cannot run as configured; the message is the one line the user sees. */
export class PrivilegeError extends Error {
  readonly code = "WEIR_PRIVILEGES";
  constructor(message: string) {
    super(message);
    this.name = "PrivilegeError";
  }
}

interface SystemPrivileges {
  user?: string | undefined;
  group?: string | undefined;
  allow_root_workers: boolean;
}

/** The identity workers must end up with. Throws PrivilegeError for unknown names or forbidden root. */
export function resolveIdentity(system: SystemPrivileges): Identity {
  const selfUid = process.getuid?.() ?? 0;
  const selfGid = process.getgid?.() ?? 0;
  let identity: Identity = { user: undefined, uid: selfUid, gid: selfGid };
  if (system.user !== undefined) {
    const entry = lookupUser(system.user);
    if (!entry) throw new PrivilegeError(`system.user "${system.user}" does not exist`);
    identity = { user: entry.name, uid: entry.uid, gid: entry.gid };
  }
  if (system.group !== undefined) {
    const gid = lookupGroup(system.group);
    if (gid === undefined) throw new PrivilegeError(`system.group "${system.group}" does not exist`);
    identity.gid = gid;
  }
  // Naming root as the workers' user is refused unless explicitly allowed. Started as root with no user
  // configured, workers keep the launching user like every other start without system.user, and the
  // supervisor logs a warning (see rootWorkersWarning): refusing would break `npm start` as root.
  if (identity.uid === 0 && system.user !== undefined && !system.allow_root_workers) {
    throw new PrivilegeError(
      `system.user "${system.user}" is root; set system.allow_root_workers = true if you really mean it`,
    );
  }
  if (selfUid !== 0 && (identity.uid !== selfUid || identity.gid !== selfGid)) {
    throw new PrivilegeError(
      `workers cannot switch to uid ${identity.uid} gid ${identity.gid}: weir runs as uid ${selfUid} ` +
        "without root. Start it as root, or leave out system.user and system.group",
    );
  }
  return identity;
}

/** The warning to log when workers will run as root without anyone having asked for it. */
export function rootWorkersWarning(identity: Identity, system: SystemPrivileges): string | undefined {
  if (identity.uid !== 0 || system.allow_root_workers) return undefined;
  return 'workers run as root because weir was started as root without system.user; set system.user (e.g. "nobody")';
}

/**
 * Become `identity` for good (real, effective and saved ids). A no-op when it is who we already are.
 * Afterwards checks the kernel agrees, so a partial drop can never go unnoticed.
 */
export function dropPrivileges(identity: Identity): void {
  if (process.getuid?.() === identity.uid && process.getgid?.() === identity.gid && identity.uid !== 0)
    return;
  if (process.getuid?.() === 0) {
    // initgroups(3) reads the user's groups through NSS; @types/node no longer declares it.
    const { initgroups } = process as { initgroups?: (user: string, extraGroup: number) => void };
    if (identity.user !== undefined && initgroups) initgroups(identity.user, identity.gid);
    else process.setgroups?.([identity.gid]);
  }
  process.setgid?.(identity.gid);
  process.setuid?.(identity.uid);
  if (process.getuid?.() !== identity.uid || process.getgid?.() !== identity.gid) {
    throw new PrivilegeError(`could not drop privileges to uid ${identity.uid} gid ${identity.gid}`);
  }
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

/** A user by name or number, from /etc/passwd, else through NSS with `id` (LDAP, systemd-userdb). */
function lookupUser(user: string): PasswdEntry | undefined {
  for (const line of readLines("/etc/passwd")) {
    const [name, , uid, gid] = line.split(":");
    if (name === user || uid === user) return { name, uid: Number(uid), gid: Number(gid) };
  }
  const uid = runId(["-u", user]);
  const gid = runId(["-g", user]);
  const name = /^\d+$/.test(user) ? undefined : user;
  if (uid === undefined || gid === undefined) return undefined;
  return { name: name ?? user, uid, gid };
}

function lookupGroup(group: string): number | undefined {
  if (/^\d+$/.test(group)) return Number(group);
  for (const line of readLines("/etc/group")) {
    const [name, , gid] = line.split(":");
    if (name === group) return Number(gid);
  }
  try {
    const out = execFileSync("getent", ["group", group], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    const gid = out.split(":")[2];
    return gid === undefined ? undefined : Number(gid);
  } catch {
    return undefined;
  }
}

function readLines(file: string): string[] {
  try {
    return readFileSync(file, "utf8").split("\n");
  } catch {
    return [];
  }
}

function runId(args: string[]): number | undefined {
  try {
    const out = execFileSync("id", [...args.slice(0, 1), "--", ...args.slice(1)], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    return Number(out.trim());
  } catch {
    return undefined;
  }
}
