// The supervisor's side of handed-files.ts: it reads and checks every TLS file of one config generation
// before any worker is forked, keeps the last good bytes of each, and hands them to the workers, which
// may run as a user that cannot read them (nginx and HAProxy read their keys before dropping privileges
// too). What it reads: each TLS listener's certificates and keys, client CA bundle and session ticket
// key file, and each TLS upstream's CA bundle and client certificate and key.
//
// - Start and reload (SIGHUP): the constructor throws CertificateError naming the listener or upstream
//   and the file, so weir does not start, or the reload is refused and the old workers serve on.
// - `watch_interval`: the supervisor polls the certificate files (one CertificateStore per listener, as
//   weir in one process does). A changed pair that checks out is published to the workers; a broken one
//   is logged and counted, and the last good bytes stay.
// - A worker forked later (a replacement after a crash) is handed `files()`: the last good bytes, never
//   what is on disk now, so a broken file cannot keep a worker slot empty.
import pino from "pino";
import type { Counter } from "prom-client";
import type { Config } from "../config/schema/index.ts";
import type { ListenerTlsConfig } from "../config/schema/tls.ts";
import type { Logger } from "../observe/log.ts";
import { CertificateStore } from "./certificate-store.ts";
import { CertificateError } from "./certificates.ts";
import { listenerPolicy } from "./context.ts";
import type { TlsFileBytes } from "./handed-files.ts";
import { readTicketKeyFile, ticketKeyOf, ticketKeys } from "./ticket-keys.ts";
import { readUpstreamTlsFiles } from "./upstream.ts";

export interface KeeperOptions {
  log: Logger;
  /** weir_tls_certificate_reloads_total of the supervisor's registry (none for `weir check`). */
  reloads?: Counter<"listener" | "result">;
}

export class TlsFileKeeper {
  /** Last good bytes by absolute path. */
  readonly #files = new Map<string, Buffer>();
  readonly #stores: CertificateStore[] = [];
  #publish: ((files: TlsFileBytes) => void) | undefined;

  /** Reads and checks every TLS file of `config`; throws CertificateError naming what cannot serve. */
  constructor(config: Config, opts: KeeperOptions) {
    try {
      for (const [name, listener] of Object.entries(config.listeners)) {
        const tls = listener.tls;
        if (tls !== undefined) this.#keepListener(name, tls, opts);
      }
      for (const [name, upstream] of Object.entries(config.upstreams)) {
        if (upstream.tls === undefined) continue;
        for (const [path, bytes] of readUpstreamTlsFiles(name, upstream.tls)) this.#files.set(path, bytes);
      }
    } catch (err) {
      this.close();
      throw err;
    }
  }

  #keepListener(name: string, tls: ListenerTlsConfig, opts: KeeperOptions): void {
    const inListener = (err: unknown): never => {
      if (!(err instanceof CertificateError) || err.message.startsWith("listener ")) throw err;
      throw new CertificateError(`listener "${name}": ${err.message}`);
    };
    let ticketKey: Buffer;
    try {
      if (tls.session_ticket_key !== undefined) {
        const bytes = readTicketKeyFile(tls.session_ticket_key);
        ticketKey = ticketKeyOf(tls.session_ticket_key, bytes);
        this.#files.set(tls.session_ticket_key, bytes);
      } else ticketKey = ticketKeys(name, undefined);
      const policy = listenerPolicy(name, tls, ticketKey);
      if (tls.client_auth !== undefined) this.#files.set(tls.client_auth.ca, policy.options.ca as Buffer);
      const store = new CertificateStore(name, tls, policy, opts.log, {
        reloaded: (certificates) => {
          opts.reloads?.inc({ listener: name, result: "success" });
          const changed: Record<string, Buffer> = {};
          for (const c of certificates) {
            changed[c.certPath] = c.cert;
            changed[c.keyPath] = c.key;
            this.#files.set(c.certPath, c.cert);
            this.#files.set(c.keyPath, c.key);
          }
          this.#publish?.(changed);
        },
        failed: () => opts.reloads?.inc({ listener: name, result: "failed" }),
      });
      this.#stores.push(store);
      for (const c of store.current.certificates) {
        this.#files.set(c.certPath, c.cert);
        this.#files.set(c.keyPath, c.key);
      }
    } catch (err) {
      inListener(err);
    }
  }

  /** Where accepted changes go: every live worker of the generation these files belong to. */
  set publish(publish: (files: TlsFileBytes) => void) {
    this.#publish = publish;
  }

  /** The last good bytes of every file: what a worker forked now is handed. */
  files(): TlsFileBytes {
    return Object.fromEntries(this.#files);
  }

  /** Re-reads changed certificate files now (tests; each store also polls by itself). */
  refresh(): void {
    for (const s of this.#stores) s.refresh();
  }

  /** Stop polling (the generation's workers are gone). */
  close(): void {
    for (const s of this.#stores) s.close();
    this.#stores.length = 0;
    this.#publish = undefined;
  }
}

/**
 * `weir check`: whether every TLS file of `config` can serve, as `run` would find at start. Returns the
 * CertificateError's message (naming the listener or upstream and the file), or undefined.
 */
export function checkTlsFiles(config: Config): string | undefined {
  try {
    new TlsFileKeeper(config, { log: pino({ enabled: false }) }).close();
    return undefined;
  } catch (err) {
    if (err instanceof CertificateError) return err.message;
    throw err;
  }
}
