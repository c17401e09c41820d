// `weir reload` and `weir stop`: find the running supervisor through `system.pid_file`, or else through
// `system.upgrade_socket` (SO_PEERCRED names the process that listens on it; we connect, read its pid
// and hang up without a request, which the supervisor ignores), and signal it.
import type { Config } from "../config/schema/index.ts";
import { closeFd, connectUnix, peerCredentials } from "./native.ts";
import { readPidFile } from "./pid-file.ts";

export class ControlError extends Error {
  readonly code = "WEIR_CONTROL";
}

/** The running supervisor's pid. Throws ControlError when neither option finds a live one. */
export function findSupervisor(config: Config): number {
  const { pid_file, upgrade_socket } = config.system;
  if (pid_file !== undefined) {
    const pid = readPidFile(pid_file);
    if (pid !== undefined && alive(pid)) return pid;
    if (upgrade_socket === undefined)
      throw new ControlError(`no running weir: pid file ${pid_file} names no live process`);
  }
  if (upgrade_socket === undefined)
    throw new ControlError("set system.pid_file or system.upgrade_socket to find the running weir");
  let fd: number;
  try {
    fd = connectUnix(upgrade_socket);
  } catch (err) {
    throw new ControlError(`no running weir at ${upgrade_socket}: ${(err as Error).message}`);
  }
  try {
    return peerCredentials(fd).pid;
  } finally {
    closeFd(fd);
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Signals the supervisor; for SIGTERM, waits until it has exited (at most `waitMs`). */
export async function signalSupervisor(
  config: Config,
  signal: NodeJS.Signals,
  waitMs: number,
): Promise<number> {
  const pid = findSupervisor(config);
  process.kill(pid, signal);
  if (signal !== "SIGTERM") return pid;
  const deadline = Date.now() + waitMs;
  while (alive(pid)) {
    if (Date.now() > deadline) throw new ControlError(`weir (pid ${pid}) still running after ${waitMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return pid;
}
