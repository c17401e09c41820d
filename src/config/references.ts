// Cross-field rules that no single field can check: references between sections and conflicts.
// Runs on the raw document (not only after the schema passed), so that every problem is reported at once.
import { didYouMean } from "./did-you-mean.ts";
import type { PathKey } from "./locate.ts";

export interface ReferenceProblem {
  path: PathKey[];
  message: string;
}

type Table = Record<string, unknown>;
const table = (v: unknown): Table => (v && typeof v === "object" && !Array.isArray(v) ? (v as Table) : {});
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

export function checkReferences(raw: unknown): ReferenceProblem[] {
  const problems: ReferenceProblem[] = [];
  const issue = (path: PathKey[], message: string) => problems.push({ path, message });
  const doc = table(raw);
  const listeners = table(doc.listeners);
  const upstreams = new Set(Object.keys(table(doc.upstreams)));
  const listenerNames = new Set(Object.keys(listeners));
  const suggest = (name: string, known: Set<string>) => {
    const best = didYouMean(name, [...known]);
    return best ? ` (did you mean "${best}"?)` : "";
  };

  const seen = new Map<string, string>();
  for (const [name, value] of Object.entries(listeners)) {
    const l = table(value);
    const address = str(l.address);
    if (address) {
      const key = normaliseAddress(address);
      const other = seen.get(key);
      if (other)
        issue(["listeners", name, "address"], `address ${address} is already used by listener "${other}"`);
      else seen.set(key, name);
    }
    const upstream = str(l.upstream);
    if (upstream && !upstreams.has(upstream))
      issue(
        ["listeners", name, "upstream"],
        `no upstream named "${upstream}"${suggest(upstream, upstreams)}`,
      );
    // A transparent listener sends raw TCP to each connection's original destination instead.
    if (l.protocol === "tcp" && !upstream && l.transparent !== true)
      issue(["listeners", name, "protocol"], 'a "tcp" listener needs an upstream');
    if (l.tls !== undefined && l.protocol === "tcp")
      issue(
        ["listeners", name, "tls"],
        'a "tcp" listener forwards bytes untouched: use protocol "http" or "auto" to terminate TLS',
      );
    if (table(l.tls).acme === true && doc.acme === undefined)
      issue(
        ["listeners", name, "tls", "acme"],
        "tls.acme = true needs an [acme] section that says where to get certificates",
      );
  }

  const routes = Array.isArray(doc.routes) ? doc.routes : [];
  routes.forEach((value, i) => {
    const r = table(value);
    const upstream = str(r.upstream);
    if (upstream && !upstreams.has(upstream))
      issue(["routes", i, "upstream"], `no upstream named "${upstream}"${suggest(upstream, upstreams)}`);
    if (!upstream && r.respond === undefined)
      issue(["routes", i], "a route needs either upstream or respond");
    if (upstream && r.respond !== undefined)
      issue(["routes", i, "respond"], "a route has either upstream or respond, not both");
    if (Array.isArray(r.listeners))
      r.listeners.forEach((l, j) => {
        if (typeof l === "string" && !listenerNames.has(l))
          issue(["routes", i, "listeners", j], `no listener named "${l}"${suggest(l, listenerNames)}`);
      });
  });
  return problems;
}

function normaliseAddress(address: string): string {
  return address.startsWith("unix:") ? address : address.replace(/^localhost:/, "127.0.0.1:").toLowerCase();
}
