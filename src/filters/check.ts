// `weir check` for filter modules, run by config load (src/config/load.ts) before the config is frozen:
// every `module` path becomes absolute (against the config file's folder), each module is loaded and its
// factory run once with its section, so a broken filter is a config error before anything starts. The
// trial filters are closed again at once. Kept apart from provisioning so that loading a config does not
// load the HTTP engine or undici.
import { isAbsolute, resolve } from "node:path";
import pino from "pino";
import type { ModuleFilterConfig } from "../config/schema/filters.ts";
import type { Config } from "../config/schema/index.ts";
import { createModuleFilter } from "./module/index.ts";
import type { FilterEnv } from "./types.ts";

/** A module path as written in the config, against the config file's folder. */
export function modulePath(config: ModuleFilterConfig, baseDir: string): string {
  return isAbsolute(config.module) ? config.module : resolve(baseDir, config.module);
}

export interface FilterProblem {
  readonly path: (string | number)[];
  readonly message: string;
}

/** Resolves module paths in place and returns what is wrong with the modules, with their config paths. */
export function checkFilterModules(config: Config, baseDir: string): FilterProblem[] {
  const problems: FilterProblem[] = [];
  const env: FilterEnv = { log: pino({ enabled: false }), fail: () => {} };
  config.routes.forEach((route, i) => {
    route.filters.forEach((f, j) => {
      if (f.kind !== "module") return;
      (f as { module: string }).module = modulePath(f, baseDir);
      try {
        const filter = createModuleFilter(f.module, f, env);
        void Promise.resolve()
          .then(() => filter.close?.())
          .catch(() => {});
      } catch (err) {
        problems.push({ path: ["routes", i, "filters", j, "module"], message: (err as Error).message });
      }
    });
  });
  return problems;
}
