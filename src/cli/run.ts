// `weir run`: start the supervisor, which forks the workers, and serve until a signal says stop.
// `weir reload` / `weir stop`: signal the running one.
import type { LoadResult } from "../config/load.ts";
import type { Config } from "../config/schema/index.ts";
import { ControlError, signalSupervisor } from "../process/control.ts";
import { PrivilegeError } from "../process/privileges.ts";
import { ListenError } from "../process/serve.ts";
import { StartError, Supervisor } from "../process/supervisor.ts";

export interface RunOptions {
  /** Take the listening sockets over from the instance serving system.upgrade_socket. */
  upgrade: boolean;
  /** Loads the config again from the same file, environment and flags (SIGHUP). */
  reload: () => LoadResult;
}

export async function run(loaded: Extract<LoadResult, { ok: true }>, opts: RunOptions): Promise<number> {
  const supervisor = new Supervisor({ config: loaded.config, reload: opts.reload, upgrade: opts.upgrade });
  try {
    await supervisor.start();
  } catch (err) {
    if (err instanceof ListenError || err instanceof StartError || err instanceof PrivilegeError) {
      supervisor.log.flush?.();
      process.stderr.write(`weir: ${err.message}\n`);
      // 2: the config names something that cannot serve (a broken certificate); 1: anything else.
      return err instanceof StartError ? err.exitCode : 1;
    }
    throw err;
  }
  const code = await supervisor.done;
  process.exit(code);
}

/** `weir reload` (SIGHUP) and `weir stop` (SIGTERM, waiting until it has exited). */
export async function control(config: Config, command: "reload" | "stop"): Promise<number> {
  const signal = command === "reload" ? "SIGHUP" : "SIGTERM";
  try {
    const pid = await signalSupervisor(config, signal, config.system.shutdown_timeout + 2_000);
    process.stdout.write(
      command === "reload" ? `weir (pid ${pid}): reloading\n` : `weir (pid ${pid}): stopped\n`,
    );
    return 0;
  } catch (err) {
    if (!(err instanceof ControlError)) throw err;
    process.stderr.write(`weir: ${err.message}\n`);
    return 1;
  }
}
