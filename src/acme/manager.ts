// The supervisor's ACME engine. Each configured certificate is its own small state machine, so a name
// that cannot be validated never holds the others back:
//   check → (not due) sleep until due / next check
//         → (due) lock → re-read the state folder (another instance may have renewed) → order
//           → success: store, publish to the workers, sleep until due
//           → failure: keep serving the current certificate, report, retry after a doubling backoff
// Checks run at start and every `check_interval`. The certificate on disk is adopted whenever it
// changed (renewed by another instance sharing the folder). ARI (RFC 9773) windows are fetched when
// the directory offers renewalInfo.
import type acme from "acme-client";
import { Counter, Gauge, Registry } from "prom-client";
import type { AcmeCertificateConfig, AcmeConfig } from "../config/schema/acme.ts";
import type { Logger } from "../observe/log.ts";
import { configureHttp, openAccount, probeDirectory, renewalInfoUrl } from "./account.ts";
import { ariCertificateId, fetchRenewalInfo, pickRenewalTime, type RenewalWindow } from "./ari.ts";
import { ChallengeBoard, type Publish } from "./board.ts";
import { http01Solver, tlsAlpn01Solver } from "./challenges/board-solvers.ts";
import { dnsHookSolver } from "./challenges/dns-hook.ts";
import { rfc2136Solver } from "./challenges/rfc2136.ts";
import type { ChallengeSolver } from "./challenges/types.ts";
import { AcmeError, asAcmeError } from "./errors.ts";
import { type HeldLock, isHeld, tryLock } from "./lock.ts";
import { orderCertificate } from "./order.ts";
import { backoffMs, renewalDue } from "./renewal.ts";
import type { AcmeSnapshot } from "./snapshot.ts";
import { AcmeStore, certificateId, type StoredCertificate } from "./store.ts";

/** setTimeout's longest delay; longer waits are cut into steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** How often a certificate locked by another instance is looked at again. */
const LOCK_POLL_MS = 1_000;

export type CertificateStatus = "pending" | "valid" | "renewing" | "failed" | "waiting-for-lock";

export interface CertificateReport {
  id: string;
  names: string[];
  challenge: AcmeCertificateConfig["challenge"];
  status: CertificateStatus;
  /** Serving since (ISO time) and valid until, when a certificate exists. */
  not_before?: string;
  not_after?: string;
  serial?: string;
  /** When the next check or attempt is planned. */
  next_check?: string;
  /** Why a renewal is planned at `renew_at` ("window", "ari", ...). */
  renew_at?: string;
  renew_reason?: string;
  failures: number;
  last_error?: { code: string; message: string; at: string };
  last_renewal?: string;
  ari_window?: { start: string; end: string };
}

export interface AcmeStatus {
  directory: string;
  state_dir: string;
  certificates: CertificateReport[];
}

interface CertState {
  readonly id: string;
  readonly config: AcmeCertificateConfig;
  readonly solver: ChallengeSolver;
  stored: StoredCertificate | undefined;
  status: CertificateStatus;
  failures: number;
  lastError?: AcmeError & { at: Date };
  lastRenewal?: Date;
  nextCheck?: Date;
  due?: { at: Date; reason: string };
  ari?: RenewalWindow & { chosen: Date };
  timer?: NodeJS.Timeout;
  running: boolean;
  lock?: HeldLock;
}

export interface AcmeManagerOptions {
  log: Logger;
  /** Delivers a snapshot to every worker; resolves once they applied it. */
  publish?: Publish;
}

export class AcmeManager {
  readonly registry = new Registry();
  readonly board: ChallengeBoard;
  readonly #log: Logger;
  readonly #renewals: Counter<"result">;
  readonly #notAfter: Gauge<"certificate">;
  #config: AcmeConfig;
  #store: AcmeStore;
  #states: CertState[] = [];
  #client: Promise<acme.Client> | undefined;
  #ariUrl: Promise<string | undefined> | undefined;
  #stopped = false;

  constructor(config: AcmeConfig, opts: AcmeManagerOptions) {
    this.#config = config;
    this.#log = opts.log.child({ component: "acme" });
    this.board = new ChallengeBoard(opts.publish);
    this.#store = new AcmeStore(config.state_dir);
    this.#renewals = new Counter({
      name: "weir_acme_renewals_total",
      help: "ACME certificate orders (first issuance and renewals), by result.",
      labelNames: ["result"] as const,
      registers: [this.registry],
    });
    this.#notAfter = new Gauge({
      name: "weir_acme_certificate_expiry_timestamp_seconds",
      help: "notAfter of the certificate served for each [[acme.certificates]] entry (Unix time).",
      labelNames: ["certificate"] as const,
      registers: [this.registry],
    });
    for (const result of ["success", "failure"]) this.#renewals.inc({ result }, 0);
  }

  /**
   * Prepares the state folder and loads what it holds, so that the first snapshot already carries every
   * stored certificate. Throws AcmeError("STATE") when the folder cannot be used, which a start should
   * refuse. Nothing is ordered before `run()`.
   */
  load(): void {
    this.#store.prepare();
    configureHttp(this.#config);
    this.#states = this.#config.certificates.map((c) => this.#newState(c));
    for (const s of this.#states) this.#adoptFromDisk(s, true);
  }

  /** Checks every certificate now, then on its own schedule (once the workers can answer challenges). */
  run(): void {
    for (const s of this.#states) this.#schedule(s, 0);
  }

  /** The current snapshot, for workers that start now. */
  snapshot(): AcmeSnapshot {
    return this.board.snapshot();
  }

  setPublisher(publish: Publish): void {
    this.board.setPublisher(publish);
  }

  /**
   * A reload: a changed [acme] section replaces the certificates' state machines. Certificates kept
   * (same names) keep serving; those no longer configured stop being served.
   */
  reconfigure(config: AcmeConfig): void {
    if (JSON.stringify(config) === JSON.stringify(this.#config)) return;
    this.#clear();
    this.#config = config;
    this.#store = new AcmeStore(config.state_dir);
    this.#client = undefined;
    this.#ariUrl = undefined;
    try {
      this.#store.prepare();
      configureHttp(config);
    } catch (err) {
      this.#log.error({ err: (err as Error).message }, "acme: state folder unusable after reload");
    }
    const ids = new Set(config.certificates.map((c) => certificateId(c.names)));
    for (const old of this.#states) if (!ids.has(old.id)) void this.board.removeCertificate(old.id);
    this.#stopped = false;
    this.#states = config.certificates.map((c) => this.#newState(c));
    for (const s of this.#states) {
      this.#adoptFromDisk(s, true);
      this.#schedule(s, 0);
    }
  }

  /** Stops every timer and releases held locks; an order in flight is abandoned. */
  stop(): void {
    this.#stopped = true;
    this.#clear();
  }

  #clear(): void {
    for (const s of this.#states) {
      clearTimeout(s.timer);
      s.lock?.release();
      s.lock = undefined;
    }
  }

  status(): AcmeStatus {
    return {
      directory: this.#config.directory,
      state_dir: this.#config.state_dir,
      certificates: this.#states.map((s) => this.#report(s)),
    };
  }

  /** Runs a check of every certificate now (tests, and an admin "check now"). */
  async checkAll(): Promise<void> {
    await Promise.all(this.#states.map((s) => this.#check(s)));
  }

  #newState(config: AcmeCertificateConfig): CertState {
    return {
      id: certificateId(config.names),
      config,
      solver: this.#solverFor(config),
      stored: undefined,
      status: "pending",
      failures: 0,
      running: false,
    };
  }

  #solverFor(c: AcmeCertificateConfig): ChallengeSolver {
    if (c.challenge === "http-01") return http01Solver(this.board);
    if (c.challenge === "tls-alpn-01") return tlsAlpn01Solver(this.board);
    if (c.rfc2136 !== undefined) return rfc2136Solver(c.rfc2136, c.propagation_wait);
    return dnsHookSolver(c.dns_hook as NonNullable<AcmeCertificateConfig["dns_hook"]>, c.propagation_wait);
  }

  /** Loads the stored certificate when it is new to us; publishes it. `first`: at start, log what is there. */
  #adoptFromDisk(s: CertState, first = false): void {
    const mtime = this.#store.certificateMtime(s.id);
    if (mtime === undefined || mtime === s.stored?.mtimeMs) return;
    let cert: StoredCertificate | undefined;
    try {
      cert = this.#store.readCertificate(s.id);
    } catch (err) {
      this.#log.error(
        { certificate: s.id, err: (err as Error).message },
        "acme: stored certificate unusable",
      );
      return;
    }
    if (cert === undefined) return;
    const changed = s.stored !== undefined;
    s.stored = cert;
    if (s.status === "pending") s.status = "valid";
    this.#serve(s, cert);
    if (first || changed)
      this.#log.info(
        { certificate: s.id, not_after: cert.notAfter.toISOString(), serial: cert.serial },
        changed
          ? "acme: certificate renewed by another instance, serving it"
          : "acme: serving stored certificate",
      );
  }

  #serve(s: CertState, cert: StoredCertificate): Promise<void> {
    this.#notAfter.set({ certificate: s.id }, Math.floor(cert.notAfter.getTime() / 1000));
    return this.board.setCertificate(s.id, { names: [...cert.names], key: cert.key, chain: cert.chain });
  }

  #schedule(s: CertState, delayMs: number): void {
    if (this.#stopped) return;
    clearTimeout(s.timer);
    const wait = Math.max(0, Math.min(delayMs, MAX_TIMER_MS));
    s.nextCheck = new Date(Date.now() + wait);
    s.timer = setTimeout(() => void this.#check(s), wait);
    s.timer.unref?.();
  }

  async #check(s: CertState): Promise<void> {
    if (s.running || this.#stopped || !this.#states.includes(s)) return;
    s.running = true;
    try {
      await this.#checkOnce(s);
    } finally {
      s.running = false;
    }
  }

  async #checkOnce(s: CertState): Promise<void> {
    this.#adoptFromDisk(s);
    await this.#refreshAri(s);
    const due = renewalDue(s.stored, s.config.names, this.#config, s.ari?.chosen);
    s.due = { at: due.at, reason: due.reason };
    const now = Date.now();
    if (due.at.getTime() > now) {
      s.failures = 0;
      if (s.stored !== undefined && s.status !== "renewing") s.status = "valid";
      const ariRecheck = s.ari ? s.ari.recheckAt.getTime() - now : Number.POSITIVE_INFINITY;
      this.#schedule(s, Math.min(due.at.getTime() - now, this.#config.check_interval, ariRecheck));
      return;
    }
    let lock: ReturnType<typeof tryLock>;
    try {
      lock = tryLock(this.#store.lockPath(s.id));
    } catch (err) {
      this.#failed(s, asAcmeError(err, "STATE", "lock"));
      return;
    }
    if (!isHeld(lock)) {
      if (s.status !== "waiting-for-lock")
        this.#log.info(
          { certificate: s.id, holder: lock.pid },
          "acme: another instance is ordering this certificate; waiting",
        );
      s.status = "waiting-for-lock";
      this.#schedule(s, LOCK_POLL_MS);
      return;
    }
    s.lock = lock;
    try {
      // Another instance may have renewed it while we waited for the lock.
      this.#adoptFromDisk(s);
      const again = renewalDue(s.stored, s.config.names, this.#config, s.ari?.chosen);
      if (again.at.getTime() > Date.now()) {
        s.failures = 0;
        s.status = "valid";
        this.#schedule(s, Math.min(again.at.getTime() - Date.now(), this.#config.check_interval));
        return;
      }
      await this.#order(s, again.reason);
    } finally {
      lock.release();
      s.lock = undefined;
    }
  }

  async #order(s: CertState, reason: string): Promise<void> {
    s.status = "renewing";
    const started = Date.now();
    this.#log.info(
      { certificate: s.id, names: s.config.names, challenge: s.config.challenge, reason },
      "acme: ordering certificate",
    );
    try {
      const client = await this.#account();
      const replaces = s.stored && s.ari ? safeCertId(s.stored) : undefined;
      const issued = await orderCertificate(client, s.config, s.solver, {
        ...(replaces ? { replaces } : {}),
        onCleanupError: (err) =>
          this.#log.warn(
            { certificate: s.id, err: (err as Error).message },
            "acme: challenge cleanup failed",
          ),
      });
      if (this.#stopped || !this.#states.includes(s)) return;
      const stored = this.#store.saveCertificate(s.id, issued.key, issued.chain);
      s.stored = stored;
      s.ari = undefined;
      s.failures = 0;
      s.lastRenewal = new Date();
      s.status = "valid";
      await this.#serve(s, stored);
      this.#renewals.inc({ result: "success" });
      this.#log.info(
        {
          certificate: s.id,
          not_after: stored.notAfter.toISOString(),
          serial: stored.serial,
          ms: Date.now() - started,
        },
        "acme: certificate issued",
      );
      const next = renewalDue(stored, s.config.names, this.#config, undefined);
      this.#schedule(s, Math.min(Math.max(next.at.getTime() - Date.now(), 0), this.#config.check_interval));
    } catch (err) {
      let failure = asAcmeError(err, "CA", "order");
      if (failure.code === "CA") {
        this.#client = undefined;
        const unreachable = await probeDirectory(this.#config.directory);
        if (unreachable !== undefined)
          failure = new AcmeError("CA", `CA unreachable: ${unreachable}`, { cause: err });
      }
      this.#failed(s, failure);
    }
  }

  #failed(s: CertState, err: AcmeError): void {
    s.failures++;
    s.status = "failed";
    s.lastError = Object.assign(err, { at: new Date() });
    this.#renewals.inc({ result: "failure" });
    const retry = backoffMs(s.failures, this.#config.retry_min, this.#config.retry_max);
    this.#log.error(
      {
        certificate: s.id,
        code: err.code,
        err: err.message,
        failures: s.failures,
        retry_in_ms: retry,
        serving: s.stored ? s.stored.notAfter.toISOString() : "nothing yet",
      },
      "acme: order failed; the current certificate keeps serving",
    );
    this.#schedule(s, retry);
  }

  /** The account, registered once per manager; a failure is retried at the next order. */
  #account(): Promise<acme.Client> {
    this.#client ??= openAccount(this.#config, this.#store);
    const pending = this.#client;
    pending.catch(() => {
      if (this.#client === pending) this.#client = undefined;
    });
    return pending;
  }

  async #refreshAri(s: CertState): Promise<void> {
    if (s.stored === undefined) return;
    if (s.ari && s.ari.recheckAt.getTime() > Date.now()) return;
    this.#ariUrl ??= renewalInfoUrl(this.#config.directory);
    const url = await this.#ariUrl;
    if (url === undefined) {
      this.#ariUrl = undefined; // asked again at the next check: the CA may have been down
      return;
    }
    const id = safeCertId(s.stored);
    if (id === undefined) return;
    try {
      const { default: acmeClient } = await import("acme-client");
      const window = await fetchRenewalInfo(acmeClient.axios as never, url, id);
      const keep =
        s.ari &&
        s.ari.start.getTime() === window.start.getTime() &&
        s.ari.end.getTime() === window.end.getTime();
      s.ari = { ...window, chosen: keep && s.ari ? s.ari.chosen : pickRenewalTime(window) };
    } catch (err) {
      this.#log.debug({ certificate: s.id, err: (err as Error).message }, "acme: renewalInfo unavailable");
    }
  }

  #report(s: CertState): CertificateReport {
    const r: CertificateReport = {
      id: s.id,
      names: [...s.config.names],
      challenge: s.config.challenge,
      status: s.status,
      failures: s.failures,
    };
    if (s.stored) {
      r.not_before = s.stored.notBefore.toISOString();
      r.not_after = s.stored.notAfter.toISOString();
      r.serial = s.stored.serial;
    }
    if (s.nextCheck) r.next_check = s.nextCheck.toISOString();
    if (s.due) {
      r.renew_at = s.due.at.toISOString();
      r.renew_reason = s.due.reason;
    }
    if (s.lastError)
      r.last_error = {
        code: s.lastError.code,
        message: s.lastError.message,
        at: s.lastError.at.toISOString(),
      };
    if (s.lastRenewal) r.last_renewal = s.lastRenewal.toISOString();
    if (s.ari) r.ari_window = { start: s.ari.start.toISOString(), end: s.ari.end.toISOString() };
    return r;
  }
}

function safeCertId(cert: StoredCertificate): string | undefined {
  try {
    return ariCertificateId(cert.leafDer);
  } catch {
    return undefined;
  }
}
