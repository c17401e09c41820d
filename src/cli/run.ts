// `weir run`: serve until a signal says stop.
import type { LoadResult } from "../config/load.ts";
import { ListenError } from "../process/serve.ts";
import { runSingleProcess } from "../process/single.ts";

export async function run(
  loaded: Extract<LoadResult, { ok: true }>,
  _opts: { upgrade: boolean },
): Promise<number> {
  let running: Awaited<ReturnType<typeof runSingleProcess>>;
  try {
    running = await runSingleProcess(loaded.config);
  } catch (err) {
    if (err instanceof ListenError) {
      process.stderr.write(`weir: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const { gen } = running;
  gen.log.info({ config: loaded.file }, "weir started");
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      gen.log.info({ signal }, "stopping");
      const hardStop = setTimeout(() => {
        gen.log.warn("shutdown timeout reached; exiting");
        for (const o of gen.outputs) o.flush();
        resolve(0);
        process.exit(0);
      }, loaded.config.system.shutdown_timeout);
      hardStop.unref();
      await running.stop();
      gen.log.info("stopped");
      for (const o of gen.outputs) o.flush();
      resolve(0);
      process.exit(0);
    };
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGUSR1", () => {
      for (const o of gen.outputs) o.reopen();
      gen.log.info("log files reopened");
    });
  });
}
