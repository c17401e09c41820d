// What the engine needs of the pool of one endpoint: weir's HTTP/1.1 client (src/upstream/h1/pool.ts)
// and undici's Pool (HTTP/2 upstreams) both are one.
import type { Dispatcher } from "undici";
import type { PoolStats, UpstreamRequest } from "../h1/pool.ts";

export interface UpstreamDispatcher {
  dispatch(request: UpstreamRequest, handler: Dispatcher.DispatchHandler): boolean;
  /** Lets queued and running requests finish, then closes the connections. */
  close(): Promise<void>;
  /** Fails what is queued or running and closes the connections now. */
  destroy(): Promise<void>;
  /** close() or destroy() was called: no new request is taken. */
  readonly closed: boolean;
  readonly destroyed: boolean;
  readonly stats: PoolStats;
}
