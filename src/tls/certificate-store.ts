// The certificates of one TLS listener, kept fresh, and swapped in for new handshakes when they change.
// Connections already established keep the certificate they negotiated. A new file that does not load
// (unreadable, not PEM, key not matching) is logged as an error and the previous certificate keeps
// serving; the next change of the files is tried again.
// Where changes come from (handed-files.ts):
// - reading the disk (the supervisor, weir in one process): the files are polled every `watch_interval`
//   (mtime and size of cert and key). A poll reads a changed pair only once it looks the same as at the
//   poll before: `cp new.key live.key; cp new.pem live.pem` is a moment where the key belongs to no
//   certificate, and a file is empty between the truncate and the write of a copy. Read at that moment,
//   a good replacement would be logged and counted as a failure;
// - a worker: the supervisor, which polls for it, hands over a changed pair it accepted; the worker never
//   looks at the files.
import type { ListenerTlsConfig } from "../config/schema/tls.ts";
import type { Logger } from "../observe/log.ts";
import { CertificateError, type LoadedCertificate, loadCertificate } from "./certificates.ts";
import { buildCertificateSet, type CertificateSet, type TlsPolicy } from "./context.ts";
import { filesAreHanded, onHandedFiles, tlsFilesStamp } from "./handed-files.ts";

/** Told what each refresh decided (the supervisor publishes and counts; weir in one process counts). */
export interface StoreEvents {
  /** New certificates serve: all of the listener's, in config order. */
  reloaded?(certificates: readonly LoadedCertificate[]): void;
  /** A changed file (or the new set) was refused; the previous certificates keep serving. */
  failed?(): void;
}

export class CertificateStore {
  readonly #listener: string;
  readonly #files: ListenerTlsConfig["certificates"];
  readonly #policy: TlsPolicy;
  readonly #log: Logger;
  #current: CertificateSet;
  /**
   * Per pair, the stamp of files already looked at that did not swap in: broken (reported once per
   * change), refused as a set, or holding the bytes already serving. They are read again only once
   * they change.
   */
  readonly #skipped: (string | undefined)[];
  /** Per pair, the stamp the previous poll saw: a change is read once it held still for one interval. */
  readonly #seen: (string | undefined)[];
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  readonly #events: StoreEvents;

  /**
   * Loads every certificate; throws CertificateError, its message prefixed with the listener's name, when
   * one cannot serve: weir does not start, or a reload (SIGHUP) is refused and the old workers serve on.
   */
  constructor(
    listener: string,
    config: ListenerTlsConfig,
    policy: TlsPolicy,
    log: Logger,
    events: StoreEvents = {},
  ) {
    this.#listener = listener;
    this.#events = events;
    this.#files = config.certificates;
    this.#policy = policy;
    this.#log = log;
    try {
      this.#current = buildCertificateSet(
        this.#files.map((f) => loadCertificate(f.cert, f.key)),
        policy,
      );
    } catch (err) {
      if (!(err instanceof CertificateError)) throw err;
      throw new CertificateError(`listener "${listener}": ${err.message}`);
    }
    this.#skipped = this.#files.map(() => undefined);
    this.#seen = this.#current.certificates.map((c) => c.stamp);
    // Handed files change all at once (a pair the supervisor already read whole): applied at once.
    if (filesAreHanded()) this.#unsubscribe = onHandedFiles(() => this.refresh());
    else if (config.watch_interval > 0) {
      this.#timer = setInterval(() => this.refresh({ whenStill: true }), config.watch_interval);
      this.#timer.unref();
    }
  }

  get current(): CertificateSet {
    return this.#current;
  }

  /**
   * Re-reads the pairs whose files changed; true when new certificates now serve. `whenStill` (the
   * poll): only pairs whose files look as they did at the previous call are read; the others wait.
   */
  refresh(opts: { whenStill?: boolean } = {}): boolean {
    const old = this.#current.certificates;
    let changed = false;
    const next: LoadedCertificate[] = this.#files.map((f, i) => {
      const previous = old[i] as LoadedCertificate;
      const stamp = tlsFilesStamp(f.cert, f.key);
      const moving = stamp !== this.#seen[i];
      this.#seen[i] = stamp;
      if (stamp === undefined || stamp === previous.stamp || stamp === this.#skipped[i]) return previous;
      if (opts.whenStill && moving) return previous;
      try {
        const loaded = loadCertificate(f.cert, f.key);
        // Touched but the same bytes (touch, `cp -p`, a copy that sets the mtime after writing): not a
        // reload.
        if (loaded.cert.equals(previous.cert) && loaded.key.equals(previous.key)) {
          this.#skipped[i] = stamp;
          return previous;
        }
        this.#skipped[i] = undefined;
        changed = true;
        return loaded;
      } catch (err) {
        this.#skipped[i] = stamp;
        this.#events.failed?.();
        this.#log.error(
          { listener: this.#listener, cert: f.cert, key: f.key, err: (err as Error).message },
          "TLS certificate reload failed; the previous certificate keeps serving",
        );
        return previous;
      }
    });
    if (!changed) return false;
    try {
      this.#current = buildCertificateSet(next, this.#policy);
    } catch (err) {
      // Refused as a set (OpenSSL under this policy): the new pairs are not tried again until they change.
      next.forEach((c, i) => {
        if (!old.includes(c)) this.#skipped[i] = c.stamp;
      });
      this.#events.failed?.();
      this.#log.error(
        { listener: this.#listener, err: (err as Error).message },
        "TLS certificate reload failed; the previous certificates keep serving",
      );
      return false;
    }
    for (const c of next) {
      if (!old.includes(c))
        this.#log.info(
          {
            listener: this.#listener,
            cert: c.certPath,
            names: c.names,
            serial: c.serial,
            valid_to: c.validTo,
          },
          "TLS certificate reloaded",
        );
    }
    this.#events.reloaded?.(next);
    return true;
  }

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }
}
