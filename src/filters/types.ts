// The public face of filters: what a filter module exports and what its hooks see. Built-in filters
// (src/filters/<kind>/) and user filters (`kind = "module"`) are the same shape: an object with any of
// the phase hooks of src/http/phases.ts. A filter module's default export is a factory:
//
//   import type { Filter, FilterFactory } from "weir";
//   const tenant: FilterFactory = (section) => ({ requestArrival(ctx) { ... } });
//   export default tenant;
//
// The factory runs once per config generation (at `weir check`, at start and at every reload) with its
// own TOML section, so it should only prepare: compile what it needs, open nothing it cannot close
// (return a `close` hook for that).
import type { Generation } from "../generation.ts";
import type { HttpError } from "../http/errors.ts";
import type { HttpFilter } from "../http/phases.ts";
import type { RequestContext } from "../http/request-context.ts";
import type { Logger } from "../observe/log.ts";

/** A filter: any subset of the phase hooks, optionally a name (for logs) and a `close` for its resources. */
export interface Filter extends Partial<Omit<HttpFilter, "name">> {
  readonly name?: string;
  /** The generation that provisioned this filter is gone: release sockets, timers, pools. */
  close?(): void | Promise<void>;
}

/** A filter's own TOML section, `kind` and `module` included, deep-frozen. */
export type FilterSection = Readonly<Record<string, unknown>>;

/** What a factory may use besides its section. */
export interface FilterEnv {
  /** The process log (pino). */
  readonly log: Logger;
  /**
   * Fails `ctx` now with `err.status` (or cuts its response if it has begun), aborting its upstream
   * request. For synchronous body hooks, which cannot answer by returning a Reply.
   */
  fail(ctx: RequestContext, err: HttpError): void;
}

export type FilterFactory = (section: FilterSection, env: FilterEnv) => Filter;

/** A built-in or user filter once provisioned: named, with a close that may be called once. */
export interface ProvisionedFilter extends HttpFilter {
  close?(): void | Promise<void>;
}

/** Internal: what provisioning needs from a generation. */
export type FilterGeneration = Pick<Generation, "config" | "log" | "metrics">;
