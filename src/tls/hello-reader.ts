// Reads a client's ClientHello off a socket without consuming it: bytes are collected until weir's parser
// has the whole hello (it may span several records and TCP segments), a byte budget is exceeded, the
// bytes are not a ClientHello at all, the client goes away, or the time is up. The caller gets every byte
// read so far, to unshift for termination or to replay to a passthrough upstream.
import type { Socket } from "node:net";
import { type ClientHello, parseClientHello } from "../protocol/client-hello/index.ts";

export type HelloOutcome =
  | { kind: "hello"; hello: ClientHello; bytes: Buffer }
  /** `reason` is a metric label: the parser's error code lower-cased, "hello_timeout" or "client_closed". */
  | { kind: "failed"; reason: string; message: string; bytes: Buffer | undefined };

export interface HelloReaderOptions {
  maxBytes: number;
  timeoutMs: number;
}

/** Calls `done` once. The socket is paused and has no listener of ours left when it does. */
export function readClientHello(
  socket: Socket,
  head: Buffer | undefined,
  opts: HelloReaderOptions,
  done: (outcome: HelloOutcome) => void,
): void {
  let bytes = head;
  let finished = false;
  const finish = (outcome: HelloOutcome): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    socket.off("data", onData);
    socket.off("end", onEnd);
    socket.off("close", onEnd);
    socket.off("error", onEnd);
    socket.pause();
    done(outcome);
  };
  /** True when the outcome is known. */
  const examine = (): boolean => {
    if (bytes === undefined) return false;
    const result = parseClientHello(bytes, { maxBytes: opts.maxBytes });
    if (result.kind === "incomplete") return false;
    if (result.kind === "hello") finish({ kind: "hello", hello: result.hello, bytes: bytes as Buffer });
    else finish({ kind: "failed", reason: result.code.toLowerCase(), message: result.message, bytes });
    return true;
  };
  const onData = (chunk: Buffer): void => {
    bytes = bytes === undefined ? chunk : Buffer.concat([bytes, chunk]);
    examine();
  };
  const onEnd = (): void =>
    finish({
      kind: "failed",
      reason: "client_closed",
      message: "client closed before its ClientHello",
      bytes,
    });
  const timer = setTimeout(
    () =>
      finish({ kind: "failed", reason: "hello_timeout", message: "no complete ClientHello in time", bytes }),
    opts.timeoutMs,
  );
  if (examine()) return;
  socket.on("data", onData);
  socket.once("end", onEnd);
  socket.once("close", onEnd);
  socket.once("error", onEnd);
  socket.resume();
}
