/** Syncs complete only when the test says so, as the simulation's virtual clock would. */
export function manualSyncs(): { syncDelay: (fn: () => void) => void; completeSyncs: () => Promise<void> } {
  const due: (() => void)[] = [];
  return {
    syncDelay: (fn) => due.push(fn),
    async completeSyncs() {
      for (let round = 0; round < 100; round++) {
        await new Promise((r) => setImmediate(r));
        const now = due.splice(0);
        if (now.length === 0) return;
        for (const fn of now) fn();
      }
    },
  };
}

/** Whether a promise has settled, readable synchronously. */
export function settledFlag(p: Promise<unknown>): { settled: boolean } {
  const flag = { settled: false };
  p.then(
    () => (flag.settled = true),
    () => (flag.settled = true),
  );
  return flag;
}
