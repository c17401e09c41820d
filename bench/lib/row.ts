/** What one benchmark row is, and what the harness gives it. */

export interface RowContext {
  /** Seconds each candidate runs. */
  durationS: number;
  /** Core the proxy under test is pinned to; null when the machine has one core (nothing pinned). */
  proxyCore: number | null;
  /** Core the load generator and the backend are pinned to; null as above. */
  loadCore: number | null;
  /** The repository root (where ./bin/weir lives). */
  root: string;
  /** A fresh temporary folder for generated configs and logs, removed after the row. */
  tmp: string;
}

export interface BenchRow {
  /** Short name used on the command line: `npm run bench -- tcp`. */
  name: string;
  /** One line on what the row measures. */
  title: string;
  /** Runs the row and prints its table. Must not throw for a missing tool: print n/a and why. */
  run(ctx: RowContext): Promise<void>;
}
