// Start every listener of a generation on its socket, all or nothing.
import type { Generation } from "../generation.ts";
import { Listener, type ListenSource } from "../listener/listener.ts";

export interface Serving {
  readonly listeners: readonly Listener[];
  /** Stop accepting, drain for `graceMs`, close the rest. */
  close(graceMs: number): Promise<void>;
}

/** A listener that could not start, named with its address for the one-line error users see. */
export class ListenError extends Error {
  readonly code: string;
  constructor(listener: string, address: string, cause: NodeJS.ErrnoException) {
    super(`listener "${listener}" cannot listen on ${address}: ${cause.code ?? ""} ${cause.message}`.trim());
    this.name = "ListenError";
    this.code = cause.code ?? "ELISTEN";
  }
}

export async function startListeners(
  gen: Generation,
  sources: ReadonlyMap<string, ListenSource>,
): Promise<Serving> {
  const started: Listener[] = [];
  const close = async (graceMs: number) => {
    await Promise.all(started.map((l) => l.close(graceMs)));
  };
  for (const [name, config] of Object.entries(gen.config.listeners)) {
    const source = sources.get(name);
    if (!source) continue;
    const listener = await Listener.create(name, config, gen);
    try {
      await listener.listen(source);
    } catch (err) {
      await close(0);
      throw new ListenError(name, config.address, err as NodeJS.ErrnoException);
    }
    started.push(listener);
    gen.log.info({ listener: name, address: config.address, protocol: config.protocol }, "listening");
  }
  return { listeners: started, close };
}
