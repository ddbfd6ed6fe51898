/**
 * Work for the end of the event-loop turn: after the I/O callbacks of this turn, before the loop
 * waits again. Everything deferred shares one setImmediate, and work deferred while the queue runs
 * joins the same run. So a chain of deferrals (replica writes batched at the end of the turn, then
 * the frame carrying them, then the group commit of a local write) completes within one turn;
 * with a setImmediate each, every link of the chain would wait for another turn of the loop.
 */
let queue: (() => void)[] = [];
/** A setImmediate is set, or the queue is running: either way what is added now runs in this turn. */
let scheduled = false;

export function atEndOfTurn(fn: () => void): void {
  queue.push(fn);
  if (!scheduled) {
    scheduled = true;
    setImmediate(runQueue);
  }
}

function runQueue(): void {
  while (queue.length > 0) {
    const batch = queue;
    queue = [];
    for (const fn of batch) {
      try {
        fn();
      } catch (e) {
        // As if fn had run on its own: the error is uncaught, and the rest still runs.
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }
  scheduled = false;
}
