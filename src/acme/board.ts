// The supervisor's side of the snapshot: the certificates currently served and the challenges pending.
// Every change makes a new snapshot and hands it to `publish`, which delivers it to every worker and
// resolves once they applied it; HTTP-01 and TLS-ALPN-01 solvers await that before the CA is told to look.
import type { AcmeSnapshot, AlpnChallengeCertificate, SnapshotCertificate } from "./snapshot.ts";

export type Publish = (snapshot: AcmeSnapshot) => Promise<void>;

export class ChallengeBoard {
  #seq = 0;
  readonly #certificates = new Map<string, SnapshotCertificate>();
  readonly #http01 = new Map<string, string>();
  readonly #alpn = new Map<string, AlpnChallengeCertificate>();
  #publish: Publish;

  constructor(publish: Publish = async () => {}) {
    this.#publish = publish;
  }

  /** Where snapshots go from now on (the supervisor sets it once its workers exist). */
  setPublisher(publish: Publish): void {
    this.#publish = publish;
  }

  snapshot(): AcmeSnapshot {
    return {
      seq: this.#seq,
      certificates: [...this.#certificates.values()],
      http01: Object.fromEntries(this.#http01),
      alpn: [...this.#alpn.values()],
    };
  }

  #changed(): Promise<void> {
    this.#seq++;
    return this.#publish(this.snapshot());
  }

  /** Serve (or replace) the certificate of config entry `id`. */
  setCertificate(id: string, cert: SnapshotCertificate): Promise<void> {
    this.#certificates.set(id, cert);
    return this.#changed();
  }

  removeCertificate(id: string): Promise<void> {
    if (!this.#certificates.delete(id)) return Promise.resolve();
    return this.#changed();
  }

  hasCertificate(id: string): boolean {
    return this.#certificates.has(id);
  }

  addHttp01(token: string, keyAuthorization: string): Promise<void> {
    this.#http01.set(token, keyAuthorization);
    return this.#changed();
  }

  removeHttp01(token: string): Promise<void> {
    if (!this.#http01.delete(token)) return Promise.resolve();
    return this.#changed();
  }

  addAlpn(challenge: AlpnChallengeCertificate): Promise<void> {
    this.#alpn.set(challenge.name, challenge);
    return this.#changed();
  }

  removeAlpn(name: string): Promise<void> {
    if (!this.#alpn.delete(name)) return Promise.resolve();
    return this.#changed();
  }
}
