// Name → value lookup by TLS server name: exact names first, then a wildcard one label deep
// ("*.b.test" matches "x.b.test", not "b.test" nor "y.x.b.test": RFC 6125 §6.4.3). Names are lower
// case without a trailing dot, as weir's ClientHello parser returns them. The first value added for a
// name wins, so the config's order decides between overlapping certificates or routes.
export class SniTable<T> {
  readonly #exact = new Map<string, T>();
  readonly #wildcard = new Map<string, T>();

  add(pattern: string, value: T): void {
    let name = pattern.toLowerCase();
    if (name.endsWith(".")) name = name.slice(0, -1);
    const wild = name.startsWith("*.");
    const map = wild ? this.#wildcard : this.#exact;
    const key = wild ? name.slice(2) : name;
    if (!map.has(key)) map.set(key, value);
  }

  get size(): number {
    return this.#exact.size + this.#wildcard.size;
  }

  lookup(serverName: string | undefined): T | undefined {
    if (serverName === undefined) return undefined;
    const exact = this.#exact.get(serverName);
    if (exact !== undefined) return exact;
    const dot = serverName.indexOf(".");
    return dot > 0 ? this.#wildcard.get(serverName.slice(dot + 1)) : undefined;
  }
}
