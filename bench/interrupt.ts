import { constants } from 'node:os';

/**
 * What an interrupted benchmark must undo. Node runs no `finally` when a signal ends the process,
 * so a Ctrl-C, or a CI job's SIGTERM to the script alone, would leave nodes, etcd members and
 * their folders behind: each resource registers its stop here while it exists.
 */
const undo = new Set<() => unknown>();

/** Registers `stop` until the returned function is called (once the resource is stopped normally). */
export function onInterrupt(stop: () => unknown): () => void {
  undo.add(stop);
  return () => undo.delete(stop);
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** On SIGINT, SIGTERM or SIGHUP: run every registered stop, then exit 128 + the signal's number. */
export function stopOnSignals(say: (line: string) => void): void {
  for (const signal of SIGNALS) {
    process.once(signal, () => {
      const code = 128 + constants.signals[signal];
      // A second signal means now.
      for (const s of SIGNALS) process.once(s, () => process.exit(code));
      say(`${signal}: stopping what the benchmark started...`);
      // A stop that throws at once counts as settled like one that rejects.
      void Promise.allSettled([...undo].map((stop) => Promise.resolve().then(stop))).then(() =>
        process.exit(code),
      );
    });
  }
}
