// `kind = "module"`: a filter written in TypeScript (or JavaScript). Its file, relative to the config,
// default-exports a factory (types.ts) that gets its TOML section and returns an object with any of the
// phase hooks. Modules are loaded synchronously (`require` of an ES module, Node ≥ 22.12; type stripping
// for .ts), so the same code runs at `weir check`, when a worker provisions a generation, and at a
// reload (new workers load the files afresh).
//
// A user hook is guarded: if it throws (or its promise rejects), that one request fails with 500 (or,
// once its response has begun, is cut) and a log line says which filter and hook; the proxy keeps serving.
import { createRequire } from "node:module";
import { HttpError } from "../../http/errors.ts";
import { PHASE_NAMES, type Reply, type ResponseHeaders, type Verdict } from "../../http/phases.ts";
import type { RequestContext } from "../../http/request-context.ts";
import type { Logger } from "../../observe/log.ts";
import type { Filter, FilterEnv, FilterFactory, FilterSection, ProvisionedFilter } from "../types.ts";

/** A module that cannot be loaded or whose factory fails: a config error. */
export class FilterModuleError extends Error {
  override readonly name = "FilterModuleError";
}

const require = createRequire(import.meta.url);
const KNOWN_KEYS: ReadonlySet<string> = new Set<string>([...PHASE_NAMES, "name", "close"]);

export function loadFactory(file: string): FilterFactory {
  let exported: unknown;
  try {
    exported = require(file);
  } catch (err) {
    throw new FilterModuleError(`cannot load filter module ${file}: ${(err as Error).message}`);
  }
  const factory = (exported as { default?: unknown } | undefined)?.default;
  if (typeof factory !== "function") {
    throw new FilterModuleError(`filter module ${file} must default-export a factory function`);
  }
  return factory as FilterFactory;
}

/** Loads `file`, runs its factory with `section`, checks what it returned. Throws FilterModuleError. */
export function createModuleFilter(file: string, section: FilterSection, env: FilterEnv): Filter {
  const factory = loadFactory(file);
  let filter: unknown;
  try {
    filter = factory(section, env);
  } catch (err) {
    throw new FilterModuleError(`filter module ${file}: the factory failed: ${(err as Error).message}`);
  }
  if (filter === null || typeof filter !== "object" || isPromise(filter)) {
    throw new FilterModuleError(`filter module ${file}: the factory must return an object of hooks`);
  }
  for (const [key, value] of Object.entries(filter)) {
    if (!KNOWN_KEYS.has(key)) {
      throw new FilterModuleError(
        `filter module ${file}: unknown hook "${key}" (known: ${[...KNOWN_KEYS].join(", ")})`,
      );
    }
    if (key !== "name" && typeof value !== "function") {
      throw new FilterModuleError(`filter module ${file}: "${key}" must be a function`);
    }
  }
  return filter as Filter;
}

function isPromise(value: unknown): boolean {
  return typeof (value as { then?: unknown }).then === "function";
}

const INTERNAL_BODY = "500 internal error\n";
const INTERNAL: Reply = Object.freeze({
  status: 500,
  headers: Object.freeze({
    "content-type": "text/plain; charset=utf-8",
    "content-length": String(INTERNAL_BODY.length),
  }),
  body: INTERNAL_BODY,
});

/**
 * `filter` with every hook wrapped so that a throw fails only its request:
 * request-side hooks answer 500; head and response body hooks throw an HttpError the engine turns into
 * 500 (or a cut response); request body hooks fail the request through `env.fail`.
 */
export function guardFilter(filter: Filter, name: string, env: FilterEnv): ProvisionedFilter {
  const log: Logger = env.log;
  const failed = (ctx: RequestContext, hook: string, err: unknown): HttpError => {
    log.error(
      {
        filter: name,
        hook,
        err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err),
        path: ctx.path,
      },
      "filter hook failed",
    );
    const e = new HttpError("INTERNAL", err);
    ctx.error ??= e;
    return e;
  };
  const out: ProvisionedFilter = { name };
  const requestHook = (hook: "requestArrival" | "peerSelection" | "upstreamRequest") => {
    const fn = filter[hook];
    if (fn === undefined) return;
    out[hook] = (ctx: RequestContext) => {
      let verdict: Verdict | PromiseLike<Verdict>;
      try {
        verdict = fn.call(filter, ctx);
      } catch (err) {
        failed(ctx, hook, err);
        return INTERNAL;
      }
      if (verdict !== undefined && isPromise(verdict)) {
        return Promise.resolve(verdict).then(undefined, (err: unknown) => {
          failed(ctx, hook, err);
          return INTERNAL;
        });
      }
      return verdict;
    };
  };
  requestHook("requestArrival");
  requestHook("peerSelection");
  requestHook("upstreamRequest");
  const headHook = (hook: "upstreamResponse" | "downstreamResponse") => {
    const fn = filter[hook];
    if (fn === undefined) return;
    out[hook] = (ctx: RequestContext, status: number, headers: ResponseHeaders) => {
      try {
        fn.call(filter, ctx, status, headers);
      } catch (err) {
        // Thrown into undici's response callback: it aborts the exchange, the engine answers 500.
        throw failed(ctx, hook, err);
      }
    };
  };
  headHook("upstreamResponse");
  headHook("downstreamResponse");
  const requestBody = filter.requestBody;
  if (requestBody !== undefined) {
    out.requestBody = (ctx: RequestContext, chunk: Buffer) => {
      try {
        return requestBody.call(filter, ctx, chunk);
      } catch (err) {
        env.fail(ctx, failed(ctx, "requestBody", err));
        return Buffer.alloc(0);
      }
    };
  }
  const responseBody = filter.responseBody;
  if (responseBody !== undefined) {
    out.responseBody = (ctx: RequestContext, chunk: Buffer) => {
      try {
        return responseBody.call(filter, ctx, chunk);
      } catch (err) {
        throw failed(ctx, "responseBody", err);
      }
    };
  }
  const logging = filter.logging;
  if (logging !== undefined) {
    out.logging = (ctx: RequestContext) => {
      try {
        logging.call(filter, ctx);
      } catch (err) {
        log.error({ filter: name, hook: "logging", err: (err as Error)?.message }, "filter hook failed");
      }
    };
  }
  const error = filter.error;
  if (error !== undefined) {
    out.error = (ctx: RequestContext, e: HttpError) => {
      try {
        return error.call(filter, ctx, e);
      } catch (err) {
        log.error({ filter: name, hook: "error", err: (err as Error)?.message }, "filter hook failed");
        return undefined;
      }
    };
  }
  const close = filter.close;
  if (close !== undefined) out.close = () => close.call(filter);
  return out;
}
