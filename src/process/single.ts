// weir in one process: bind, serve, stop on a signal. Used when no supervisor is wanted (tests, tools)
// and as the body of each worker once the supervisor hands it the sockets.
import { chmodSync, unlinkSync } from "node:fs";
import type { Config } from "../config/schema/index.ts";
import { type Generation, provision } from "../generation.ts";
import { listenArgs, removeStaleSocket } from "../listener/bind.ts";
import type { ListenSource } from "../listener/listener.ts";
import { startAdmin } from "../observe/admin.ts";
import { redactConfig } from "../observe/config-redact.ts";
import { exposition } from "../observe/exposition.ts";
import { parseLogLine } from "../observe/log-entry.ts";
import { LogRing } from "../observe/log-ring.ts";
import type { PromMetricJson } from "../observe/push/otlp-metrics.ts";
import { readiness } from "../observe/readiness.ts";
import { buildStatus } from "../observe/status.ts";
import { ListenError, startListeners } from "./serve.ts";

export interface Running {
  gen: Generation;
  stop(): Promise<void>;
}

export async function runSingleProcess(config: Config): Promise<Running> {
  // The process log's recent lines for GET /logs; no collectors here (the supervisor has those).
  const ring = new LogRing(config.log.recent);
  const gen = provision(
    config,
    {},
    {
      onLogLine: (line) => {
        const entry = parseLogLine(line);
        if (entry !== undefined) ring.push(entry);
      },
    },
  );
  const startedAt = Date.now();
  const sources = new Map<string, ListenSource>();
  const unixPaths: string[] = [];
  for (const [name, l] of Object.entries(config.listeners)) {
    const args = listenArgs(l.address);
    if ("path" in args) {
      try {
        await removeStaleSocket(args.path);
      } catch (err) {
        throw new ListenError(name, l.address, err as NodeJS.ErrnoException);
      }
      unixPaths.push(args.path);
      sources.set(name, { path: args.path });
    } else sources.set(name, { host: args.host, port: args.port });
  }
  const serving = await startListeners(gen, sources);
  for (const l of serving.listeners) {
    if (l.config.address.startsWith("unix:"))
      chmodSync(l.config.address.slice(5), Number.parseInt(l.config.socket_mode, 8));
  }
  let ready = true;
  const admin = config.admin.listen
    ? await startAdmin(
        config.admin.listen,
        {
          metrics: () => exposition(gen.metrics.registry),
          ready: async () =>
            readiness({
              state: ready ? "serving" : "stopping",
              config,
              bound: new Set(serving.listeners.map((l) => l.name)),
              workersReady: ready,
              metrics: (await gen.metrics.registry.getMetricsAsJSON()) as unknown as PromMetricJson[],
            }),
          logs: () => ring,
          status: async () =>
            buildStatus({
              config,
              generation: 1,
              startedAt,
              state: ready ? "serving" : "stopping",
              workers: [],
              metrics: (await gen.metrics.registry.getMetricsAsJSON()) as unknown as PromMetricJson[],
            }),
          config: () => redactConfig(config),
        },
        gen.log,
        { token: config.admin.token },
      ).catch(async (err) => {
        await serving.close(0);
        throw new ListenError("admin", config.admin.listen as string, err);
      })
    : undefined;
  return {
    gen,
    async stop() {
      ready = false;
      admin?.close();
      await serving.close(config.system.grace_period);
      for (const p of unixPaths) {
        try {
          unlinkSync(p);
        } catch {}
      }
      admin?.closeAllConnections();
    },
  };
}
