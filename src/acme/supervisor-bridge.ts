// How the supervisor's AcmeManager reaches the workers: every snapshot goes to every live worker over
// its IPC channel, and the publish resolves once each acknowledged it (or after a timeout: a worker that
// is hanging or exiting must not stall the others' renewals).
import type { ChildProcess } from "node:child_process";
import type { Publish } from "./board.ts";
import { type AcmeMessage, isAcmeApplied } from "./snapshot.ts";

const ACK_TIMEOUT_MS = 5_000;

/** `children()` lists the worker processes of every generation alive now. */
export function publishToWorkers(children: () => readonly ChildProcess[]): Publish {
  return async (snapshot) => {
    const message: AcmeMessage = { type: "acme", snapshot };
    await Promise.all(children().map((child) => sendAndWait(child, message)));
  };
}

function sendAndWait(child: ChildProcess, message: AcmeMessage): Promise<void> {
  if (!child.connected) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", done);
      resolve();
    };
    const onMessage = (m: unknown) => {
      if (isAcmeApplied(m) && m.seq >= message.snapshot.seq) done();
    };
    const timer = setTimeout(done, ACK_TIMEOUT_MS);
    child.on("message", onMessage);
    child.once("exit", done);
    try {
      child.send(message, (err) => {
        if (err) done();
      });
    } catch {
      done();
    }
  });
}
