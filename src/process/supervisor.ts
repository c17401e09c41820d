// Stage 1: the supervisor. It runs as the launching user, validates the config, binds every listener,
// prepares the log files, runs the admin API and the upgrade socket, and forks the workers that serve.
// It never serves traffic. Signals: SIGTERM/SIGINT stop, SIGHUP reloads, SIGUSR1 reopens logs.
//
// The supervisor reads every TLS file (certificates, keys, CA bundles: src/tls/file-keeper.ts) before it
// forks a generation's workers, and hands them the bytes: workers, which may run as a user that cannot
// read them, never do; a worker that replaces a dead one gets the last good bytes.
//
// A reload is a transaction (the Caddy way): the new config is validated, its new listeners bound and its
// workers started on the same sockets; only when every new worker serves do the old ones drain. If any
// step fails, what it created is closed again and the old workers keep serving, untouched.
import { unlinkSync } from "node:fs";
import type { Server } from "node:http";
import type { Server as NetServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { type Aggregator, AggregatorRegistry, type Registry } from "prom-client";
import { AcmeManager } from "../acme/manager.ts";
import { publishToWorkers } from "../acme/supervisor-bridge.ts";
import type { LoadResult } from "../config/load.ts";
import { formatProblem } from "../config/problems.ts";
import type { Config } from "../config/schema/index.ts";
import { removeStaleSocket } from "../listener/bind.ts";
import { type ReloadOutcome, startAdmin } from "../observe/admin.ts";
import { redactConfig } from "../observe/config-redact.ts";
import { exposition } from "../observe/exposition.ts";
import { createLogger, type Logger, type LogOutput, openOutput } from "../observe/log.ts";
import { LogHub } from "../observe/log-hub.ts";
import { teeOutput } from "../observe/log-tee.ts";
import { MetricsPusher } from "../observe/metrics-push.ts";
import type { PromMetricJson } from "../observe/push/otlp-metrics.ts";
import { readiness } from "../observe/readiness.ts";
import { buildStatus, type WorkerInfo } from "../observe/status.ts";
import { createSupervisorMetrics, type SupervisorMetrics } from "../observe/supervisor-metrics.ts";
import { CertificateError } from "../tls/certificates.ts";
import { TlsFileKeeper } from "../tls/file-keeper.ts";
import { certificateReloadsCounter } from "../tls/metrics.ts";
import { ensureTicketSecret } from "../tls/ticket-keys.ts";
import { Crew } from "./crew.ts";
import { prepareLogFiles } from "./log-files.ts";
import { closeFd } from "./native.ts";
import { removePidFile, writePidFile } from "./pid-file.ts";
import { type Identity, resolveIdentity, rootWorkersWarning } from "./privileges.ts";
import { ListenError } from "./serve.ts";
import { handleSignals } from "./signals.ts";
import { ListenerSockets } from "./sockets.ts";
import { type Handoff, receiveHandoff, serveUpgrades } from "./upgrade.ts";

/** How long /metrics waits for each worker's registry. */
const METRICS_TIMEOUT_MS = 2_000;
/** How long a reload waits for the old workers to say they stopped accepting (IPC, normally < 1 ms). */
const NOT_ACCEPTING_WAIT_MS = 1_000;
/** How long the collectors get for the last log lines at stop. */
const LOG_PUSH_CLOSE_MS = 2_000;

/**
 * How the workers' values of a metric combine into one (prom-client aggregators; "sum" is the default).
 * Endpoint health is the lowest: an endpoint one worker cannot reach is shown down.
 */
const AGGREGATORS: Readonly<Record<string, Aggregator>> = {
  weir_upstream_endpoint_healthy: "min",
};

export interface SupervisorOptions {
  /** The validated config to start with. */
  config: Config;
  /** Loads and validates the config again (same file, environment and flags), for SIGHUP. */
  reload: () => LoadResult;
  /** Take the listening sockets over from the instance serving `system.upgrade_socket`. */
  upgrade: boolean;
}

/**
 * A start that failed for a reason the user must fix; `message` is the one line to print, `exitCode`
 * what weir exits with (2: the config names something that cannot serve, such as a broken certificate).
 */
export class StartError extends Error {
  readonly code = "WEIR_START";
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

type State = "starting" | "serving" | "reloading" | "stopping";

export class Supervisor {
  #config: Config;
  readonly #reload: () => LoadResult;
  readonly #upgrade: boolean;
  #output: LogOutput;
  #log: Logger;
  #state: State = "starting";
  #generation = 1;
  #crew: Crew | undefined;
  /** Certificates from ACME (only the supervisor orders them); undefined without [acme]. */
  #acme: AcmeManager | undefined;
  readonly #draining = new Set<Crew>();
  readonly #sockets = new ListenerSockets();
  #admin: Server | undefined;
  #upgradeServer: NetServer | undefined;
  #upgradePath: string | undefined;
  #pidFile: string | undefined;
  #reloadAgain = false;
  /** A stop signal that arrived while starting: acted on once started. */
  #stopAfterStart: string | undefined;
  /** Workers of a reload that are still starting, stopped too if a stop comes meanwhile. */
  #pendingCrew: Crew | undefined;
  #removeSignals: (() => void) | undefined;
  readonly #metricsOwn: SupervisorMetrics;
  /** weir_tls_certificate_reloads_total: the supervisor polls the certificate files for its workers. */
  readonly #tlsReloads: ReturnType<typeof certificateReloadsCounter>;
  /** The TLS files of each crew's config, read here and handed to its workers. */
  readonly #keepers = new Map<Crew, TlsFileKeeper>();
  /** Process log lines of every process: the ring behind /logs, and the collectors. */
  readonly #logs: LogHub;
  #metricsPusher: MetricsPusher | undefined;
  readonly #startedAt = Date.now();
  #lastReload: { at: string; ok: boolean; error?: string } | undefined;
  /** The reload running now, for POST /reload to wait on. */
  #reloading: Promise<ReloadOutcome> | undefined;
  #exit: ((code: number) => void) | undefined;
  readonly #done = new Promise<number>((resolve) => {
    this.#exit = resolve;
  });

  constructor(opts: SupervisorOptions) {
    this.#config = opts.config;
    this.#reload = opts.reload;
    this.#upgrade = opts.upgrade;
    this.#metricsOwn = createSupervisorMetrics();
    this.#tlsReloads = certificateReloadsCounter(this.#metricsOwn.registry);
    this.#logs = new LogHub(opts.config, {
      dropped: this.#metricsOwn.logPushDropped,
      sent: this.#metricsOwn.logPushSent,
    });
    this.#output = openOutput(opts.config.log.output);
    const teed = teeOutput(this.#output, (line) => this.#logs.acceptLine(line));
    this.#log = createLogger(opts.config.log.level, teed, { role: "supervisor" });
  }

  get log(): Logger {
    return this.#log;
  }

  /** Starts everything; resolves when the workers serve. Throws StartError or ListenError. */
  async start(): Promise<void> {
    // Handlers first: a SIGHUP's default action would kill us while workers are starting.
    this.#removeSignals = handleSignals({
      stop: (signal) => void this.stop(signal),
      reload: () => void this.reload(),
      reopenLogs: () => this.reopenLogs(),
    });
    try {
      await this.#start();
    } catch (err) {
      this.#removeSignals();
      this.#sockets.closeAll(true);
      throw err;
    }
  }

  async #start(): Promise<void> {
    // Workers inherit the environment: one ticket secret for all of them, so a TLS session resumes on
    // whichever worker the client reaches next (src/tls/ticket-keys.ts).
    ensureTicketSecret();
    const config = this.#config;
    const identity = this.#identity(config);
    const rootWarning = rootWorkersWarning(identity, config.system);
    if (rootWarning) this.#log.warn(rootWarning);
    // Before anything is bound, taken over or forked: a file that cannot serve is a config error.
    let keeper: TlsFileKeeper;
    try {
      keeper = this.#readTlsFiles(config);
    } catch (err) {
      if (!(err instanceof CertificateError)) throw err;
      throw new StartError(err.message, 2);
    }
    try {
      await this.#startWith(config, identity, keeper);
    } catch (err) {
      keeper.close();
      throw err;
    }
  }

  async #startWith(config: Config, identity: Identity, keeper: TlsFileKeeper): Promise<void> {
    const upgradePath = config.system.upgrade_socket;
    let handoff: Handoff | undefined;
    if (this.#upgrade) {
      if (upgradePath === undefined)
        throw new StartError("--upgrade needs system.upgrade_socket in the config");
      try {
        handoff = receiveHandoff(upgradePath);
      } catch (err) {
        throw new StartError((err as Error).message);
      }
      this.#sockets.adopt(handoff.sockets);
      this.#log.info(
        { from: handoff.pid, sockets: handoff.sockets.length },
        "upgrade: listening sockets received",
      );
    } else if (upgradePath !== undefined) {
      try {
        await removeStaleSocket(upgradePath);
      } catch (err) {
        throw new StartError(
          `system.upgrade_socket ${upgradePath}: ${(err as Error).message} (another weir instance? use weir run --upgrade)`,
        );
      }
    }
    try {
      const prepared = await this.#sockets.prepare(config);
      prepareLogFiles(config, identity);
      this.#configureAcme(config);
      const crew = this.#newCrew(this.#generation, config, identity, prepared.byName, keeper);
      this.#pendingCrew = crew;
      await crew.start().catch((err: Error) => {
        throw new StartError(`workers could not start: ${err.message}`);
      });
      this.#pendingCrew = undefined;
      this.#crew = crew;
    } catch (err) {
      this.#pendingCrew = undefined;
      this.#acme?.stop();
      handoff?.abort();
      throw err;
    }
    this.#acme?.run();
    if (handoff) {
      handoff.confirm();
      // Sockets of listeners the old config had and ours does not: ours now, closed and removed.
      this.#sockets.retain(config);
    }
    if (upgradePath !== undefined) {
      const reuse = handoff?.upgradePath === upgradePath ? handoff.upgradeFd : undefined;
      if (handoff && reuse === undefined) closeFd(handoff.upgradeFd);
      this.#upgradeServer = await serveUpgrades(upgradePath, reuse, {
        sockets: () => this.#sockets.all,
        canHandOver: () => this.#state === "serving",
        handedOver: () => void this.stop("upgrade"),
        log: this.#log,
      });
      this.#upgradePath = upgradePath;
    }
    await this.#startAdmin(config);
    this.#observe(config);
    if (config.system.pid_file !== undefined) {
      writePidFile(config.system.pid_file);
      this.#pidFile = config.system.pid_file;
    }
    this.#state = "serving";
    this.#log.info(
      {
        workers: config.system.workers,
        pids: this.#crew?.workers.map((w) => w.pid),
        uid: identity.uid,
        gid: identity.gid,
        listeners: Object.fromEntries(this.#sockets.all.map((s) => [s.key, s.port ?? s.path])),
      },
      "weir started",
    );
    if (this.#stopAfterStart !== undefined) void this.stop(this.#stopAfterStart);
  }

  /** Resolves with the exit code once stopped. */
  get done(): Promise<number> {
    return this.#done;
  }

  /** Worker pids of the serving generation. */
  get workerPids(): number[] {
    return (this.#crew?.workers ?? []).flatMap((w) => (w.pid === undefined ? [] : [w.pid]));
  }

  /** The workers of `config`, handed `keeper`'s TLS files; `keeper` closes with #retire(crew). */
  #newCrew(
    generation: number,
    config: Config,
    identity: Identity,
    listeners: ReadonlyMap<string, number>,
    keeper: TlsFileKeeper,
  ): Crew {
    const onLog = (lines: string[]) => {
      for (const line of lines) this.#logs.acceptLine(line);
    };
    const greeting = () =>
      this.#acme ? { type: "acme" as const, snapshot: this.#acme.snapshot() } : undefined;
    const tlsFiles = () => keeper.files();
    const crew = new Crew(
      { generation, config, identity, listeners, onLog, greeting, tlsFiles },
      this.#log,
      () => this.#metricsOwn.workerRestarts.inc(),
    );
    keeper.publish = (files) => crew.handFiles(files);
    this.#keepers.set(crew, keeper);
    return crew;
  }

  /** Reads and checks `config`'s TLS files (src/tls/file-keeper.ts); throws CertificateError. */
  #readTlsFiles(config: Config): TlsFileKeeper {
    return new TlsFileKeeper(config, { log: this.#log, reloads: this.#tlsReloads });
  }

  /** A crew's workers are gone: its TLS files are no longer polled. */
  #retire(crew: Crew): void {
    this.#keepers.get(crew)?.close();
    this.#keepers.delete(crew);
  }

  /**
   * Starts, changes or stops the ACME engine for `config`. Its snapshots go to every worker alive (the
   * serving, starting and draining generations). Throws StartError when the state folder is unusable.
   */
  #configureAcme(config: Config): void {
    if (config.acme === undefined) {
      this.#acme?.stop();
      this.#acme = undefined;
      return;
    }
    if (this.#acme !== undefined) {
      this.#acme.reconfigure(config.acme);
      return;
    }
    const acme = new AcmeManager(config.acme, {
      log: this.#log,
      publish: publishToWorkers(() =>
        [this.#crew, this.#pendingCrew, ...this.#draining].flatMap(
          (c) => c?.workers.map((w) => w.child) ?? [],
        ),
      ),
    });
    try {
      acme.load();
    } catch (err) {
      throw new StartError(`acme: ${(err as Error).message}`);
    }
    this.#acme = acme;
  }

  #identity(config: Config): Identity {
    try {
      return resolveIdentity(config.system);
    } catch (err) {
      throw new StartError((err as Error).message);
    }
  }

  async #startAdmin(config: Config): Promise<void> {
    const listen = config.admin.listen;
    if (listen === undefined) return;
    this.#admin = await startAdmin(
      listen,
      {
        metrics: () => this.#metrics(),
        ready: async () =>
          readiness({
            state: this.#state,
            config: this.#config,
            bound: new Set(this.#crew?.spec.listeners.keys() ?? []),
            workersReady: (this.#crew?.workers ?? []).every((w) => w.isReady),
            metrics: await this.#metricsJson(),
          }),
        logs: () => this.#logs.ring,
        status: async () => ({
          ...(buildStatus({
            config: this.#config,
            generation: this.#generation,
            startedAt: this.#startedAt,
            state: this.#state,
            workers: this.#workerInfo(),
            metrics: await this.#metricsJson(),
            lastReload: this.#lastReload,
          }) as object),
          ...(this.#acme ? { acme: this.#acme.status() } : {}),
        }),
        config: () => redactConfig(this.#config),
        reload: () => this.#reloadFromAdmin(),
      },
      this.#log,
      { token: config.admin.token },
    ).catch((err) => {
      throw new ListenError("admin", listen, err);
    });
    const bound = this.#admin.address();
    this.#log.info(
      { address: listen, port: typeof bound === "object" && bound !== null ? bound.port : undefined },
      "admin API listening",
    );
  }

  /**
   * Every worker's registry and the supervisor's own, combined into one (counters summed, gauges per
   * their aggregator: see AGGREGATORS), so that one scrape or push sees the whole instance.
   */
  async #combined(): Promise<Registry> {
    const crews = [this.#crew, ...this.#draining].filter((c): c is Crew => c !== undefined);
    const workers = (await Promise.all(crews.map((c) => c.metrics(METRICS_TIMEOUT_MS)))).flat();
    const own = await this.#metricsOwn.registry.getMetricsAsJSON();
    const acme = (await this.#acme?.registry.getMetricsAsJSON()) ?? [];
    const all = [...workers.filter((m) => m.length > 0), own, acme] as {
      name: string;
      aggregator?: Aggregator;
    }[][];
    for (const list of all) {
      for (const m of list) {
        const aggregator = AGGREGATORS[m.name];
        if (aggregator !== undefined) m.aggregator = aggregator;
      }
    }
    return AggregatorRegistry.aggregate(all as never[]);
  }

  async #metrics(): Promise<{ contentType: string; body: string }> {
    return exposition(await this.#combined());
  }

  async #metricsJson(): Promise<PromMetricJson[]> {
    return (await (await this.#combined()).getMetricsAsJSON()) as unknown as PromMetricJson[];
  }

  #workerInfo(): WorkerInfo[] {
    const info = (crew: Crew, state: WorkerInfo["state"]) =>
      crew.workers.map((w) => ({
        worker: w.worker,
        generation: crew.spec.generation,
        pid: w.pid,
        state: w.isReady ? state : "starting",
      }));
    return [
      ...(this.#crew ? info(this.#crew, "serving") : []),
      ...[...this.#draining].flatMap((c) => info(c, "draining")),
    ];
  }

  /** POST /reload: a reload like SIGHUP's, answered with how it ended. */
  #reloadFromAdmin(): Promise<ReloadOutcome> {
    return this.reload();
  }

  /**
   * SIGHUP or POST /reload. Requests arriving during a reload are folded into one more reload after it;
   * every caller gets the outcome of the last one (the one that read the newest file).
   */
  reload(): Promise<ReloadOutcome> {
    if (this.#state === "reloading" && this.#reloading !== undefined) {
      this.#reloadAgain = true;
      return this.#reloading;
    }
    if (this.#state !== "serving")
      return Promise.resolve({
        ok: false,
        generation: this.#generation,
        error: `cannot reload while ${this.#state}`,
      });
    this.#state = "reloading";
    const running = this.#reloadLoop();
    this.#reloading = running;
    void running.finally(() => {
      if (this.#reloading === running) this.#reloading = undefined;
    });
    return running;
  }

  async #reloadLoop(): Promise<ReloadOutcome> {
    let outcome: ReloadOutcome;
    try {
      do {
        this.#reloadAgain = false;
        outcome = await this.#reloadOnce().catch((err: Error) => ({
          ok: false,
          generation: this.#generation,
          error: err.message,
        }));
        this.#metricsOwn.configReloads.inc({
          result: outcome.ok ? "success" : outcome.problems ? "invalid" : "failed",
        });
        this.#lastReload = { at: new Date().toISOString(), ok: outcome.ok, error: outcome.error };
      } while (this.#reloadAgain && this.#state === "reloading");
    } finally {
      if (this.#state === "reloading") this.#state = "serving";
    }
    return outcome;
  }

  async #reloadOnce(): Promise<ReloadOutcome> {
    const started = performance.now();
    const loaded = this.#reload();
    if (!loaded.ok) {
      const problems = loaded.problems.map(formatProblem);
      for (const problem of problems) this.#log.error({ problem }, "config reload: invalid config");
      this.#log.error(
        { problems: loaded.problems.length },
        "config reload failed; still serving the previous config",
      );
      return { ok: false, generation: this.#generation, error: "invalid config", problems };
    }
    const config = loaded.config;
    const old = this.#config;
    for (const key of ["upgrade_socket", "pid_file"] as const) {
      if (config.system[key] !== old.system[key])
        this.#log.warn(
          { option: `system.${key}` },
          "config reload: this option changes only with a restart or upgrade",
        );
    }
    // The new TLS files first, before a listener is bound or a worker forked: one that cannot serve
    // refuses the reload, and the old workers serve on with the bytes they have.
    let keeper: TlsFileKeeper;
    try {
      keeper = this.#readTlsFiles(config);
    } catch (err) {
      if (!(err instanceof CertificateError)) throw err;
      this.#log.error(
        { err: err.message },
        "config reload: a TLS file cannot serve; still serving the previous config",
      );
      return { ok: false, generation: this.#generation, error: err.message };
    }
    let identity: Identity;
    let prepared: Awaited<ReturnType<ListenerSockets["prepare"]>>;
    try {
      identity = resolveIdentity(config.system);
      prepared = await this.#sockets.prepare(config);
      prepareLogFiles(config, identity);
    } catch (err) {
      keeper.close();
      this.#log.error(
        { err: (err as Error).message },
        "config reload failed; still serving the previous config",
      );
      return { ok: false, generation: this.#generation, error: (err as Error).message };
    }
    const generation = this.#generation + 1;
    const crew = this.#newCrew(generation, config, identity, prepared.byName, keeper);
    this.#pendingCrew = crew;
    try {
      await crew.start();
    } catch (err) {
      this.#pendingCrew = undefined;
      this.#retire(crew);
      this.#sockets.discard(prepared.added);
      this.#log.error(
        { err: (err as Error).message },
        "config reload: new workers failed; still serving the previous config",
      );
      return {
        ok: false,
        generation: this.#generation,
        error: `new workers failed: ${(err as Error).message}`,
      };
    }
    this.#pendingCrew = undefined;
    if (this.#state !== "reloading") {
      // A stop arrived while the new workers started: they go too.
      await crew.stop(0, config.system.shutdown_timeout);
      this.#retire(crew);
      return { ok: false, generation: this.#generation, error: "stopping" };
    }
    const previous = this.#crew;
    this.#crew = crew;
    this.#config = config;
    this.#generation = generation;
    const removed = this.#sockets.retain(config);
    // The old workers stop accepting before the reload is reported done: a connection made after it
    // meets the new config (they share the listening sockets, so the kernel may hand it to either).
    if (previous) {
      this.#drain(previous, old);
      await Promise.race([previous.notAccepting(), sleep(NOT_ACCEPTING_WAIT_MS, undefined, { ref: false })]);
    }
    this.#log.info(
      {
        generation,
        ms: Math.round(performance.now() - started),
        pids: crew.workers.map((w) => w.pid),
        removed: removed.map((s) => s.key),
      },
      "config reloaded; new workers serve, old ones drain",
    );
    try {
      this.#configureAcme(config);
      this.#acme?.run();
    } catch (err) {
      this.#log.error({ err: (err as Error).message }, "config reload: acme could not start");
    }
    this.#observe(config);
    if (config.admin.listen !== old.admin.listen || config.admin.token !== old.admin.token) {
      this.#admin?.close();
      this.#admin?.closeAllConnections();
      this.#admin = undefined;
      await this.#startAdmin(config).catch((err: Error) =>
        this.#log.error({ err: err.message }, "config reload: admin API could not move"),
      );
    }
    return { ok: true, generation };
  }

  /** Applies the observability settings of `config`: generation gauge, log collectors, metrics push. */
  #observe(config: Config): void {
    this.#metricsOwn.configGeneration.set(this.#generation);
    this.#metricsOwn.configLastReload.set(Date.now() / 1000);
    this.#logs.reconfigure(config);
    this.#metricsPusher?.stop();
    this.#metricsPusher = new MetricsPusher(
      config.metrics.push,
      () => this.#metricsJson(),
      this.#metricsOwn.metricsPushes,
      this.#startedAt,
    );
  }

  #drain(crew: Crew, config: Config): void {
    this.#draining.add(crew);
    void crew.stop(config.system.grace_period, config.system.shutdown_timeout).then(() => {
      this.#draining.delete(crew);
      this.#retire(crew);
      this.#log.info({ generation: crew.spec.generation }, "old workers drained");
    });
  }

  /** SIGUSR1: create files moved away by a rotation, then have every process reopen its outputs. */
  reopenLogs(): void {
    try {
      prepareLogFiles(this.#config, resolveIdentity(this.#config.system));
    } catch (err) {
      this.#log.error({ err: (err as Error).message }, "log files could not be reopened");
      return;
    }
    this.#output.reopen();
    this.#crew?.reopenLogs();
    for (const c of this.#draining) c.reopenLogs();
    this.#log.info("log files reopened");
  }

  /**
   * Graceful stop (a signal, or "upgrade" once a new instance serves). Workers drain for grace_period;
   * any still running at shutdown_timeout is killed. After an upgrade no socket file is removed: the new
   * instance serves the same sockets.
   */
  async stop(reason: string): Promise<void> {
    if (this.#state === "stopping") return;
    const handedOver = reason === "upgrade";
    if (this.#state === "starting") {
      this.#stopAfterStart = reason;
      return;
    }
    this.#state = "stopping";
    this.#acme?.stop();
    const { grace_period, shutdown_timeout } = this.#config.system;
    this.#log.info({ reason, grace_ms: grace_period }, "stopping");
    const hardStop = setTimeout(() => {
      this.#log.warn("shutdown_timeout reached; exiting");
      this.#finish(0, !handedOver);
    }, shutdown_timeout + 1_000);
    hardStop.unref();
    this.#admin?.close();
    this.#admin?.closeAllConnections();
    this.#upgradeServer?.close();
    const crews = [this.#crew, this.#pendingCrew, ...this.#draining].filter(
      (c): c is Crew => c !== undefined,
    );
    await Promise.all(crews.map((c) => c.stop(grace_period, shutdown_timeout)));
    for (const c of [...this.#keepers.keys()]) this.#retire(c);
    this.#metricsPusher?.stop();
    this.#metricsOwn.stopRuntime();
    this.#log.info("stopped");
    // The last lines (the workers' and this "stopped") still go to the collectors, briefly.
    await this.#logs.close(LOG_PUSH_CLOSE_MS);
    clearTimeout(hardStop);
    this.#finish(0, !handedOver);
  }

  #finish(code: number, removeFiles: boolean): void {
    this.#sockets.closeAll(removeFiles);
    if (removeFiles && this.#upgradePath !== undefined) {
      try {
        // The listening upgrade socket was passed to Node as a descriptor, so Node never unlinks it.
        unlinkSync(this.#upgradePath);
      } catch {}
    }
    if (this.#pidFile !== undefined) removePidFile(this.#pidFile);
    this.#removeSignals?.();
    this.#output.flush();
    this.#exit?.(code);
  }
}
