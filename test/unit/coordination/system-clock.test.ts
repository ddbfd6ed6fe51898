import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/coordination/system-clock.js';

/** Runs `fn` in a fresh event-loop turn, after the loop has read its clock for that turn. */
function inNewTurn<T>(fn: () => Promise<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    setImmediate(() => {
      fn().then(resolve, reject);
    });
  });
}

describe('systemClock timers', () => {
  it('fire no sooner than asked, also when set late in a turn or for less than a ms', async () => {
    const waited: number[] = [];
    for (let i = 0; i < 40; i++) {
      const delayMs = i % 2 === 0 ? 0.5 : 2;
      waited.push(
        await inNewTurn(() => {
          // The work of a busy turn: the time Node read at its start goes stale.
          const until = performance.now() + 2.5;
          while (performance.now() < until);
          const setAt = performance.now();
          return new Promise<number>((resolve) =>
            systemClock.setTimer(delayMs, () => resolve(performance.now() - setAt - delayMs)),
          );
        }),
      );
    }
    expect(Math.min(...waited)).toBeGreaterThanOrEqual(0);
  });

  it('can be cancelled, also once it has been set again for what was left', async () => {
    // A cancel that a busy machine delayed past the due time proves nothing: such a try is
    // made again.
    let counted = 0;
    for (let attempt = 0; attempt < 5 && counted === 0; attempt++) {
      let fired = false;
      let inTime = false;
      await inNewTurn(async () => {
        // Set 20 ms late in its turn, a 40 ms timer first fires about 20 ms early and is set again.
        const until = performance.now() + 20;
        while (performance.now() < until);
        const setAt = performance.now();
        const timer = systemClock.setTimer(40, () => {
          fired = true;
        });
        await new Promise<void>((resolve) => {
          const poll = () => (performance.now() >= setAt + 30 ? resolve() : setImmediate(poll));
          poll();
        });
        timer.cancel();
        inTime = !fired && performance.now() < setAt + 40;
      });
      await new Promise((resolve) => setTimeout(resolve, 60));
      if (!inTime) continue;
      expect(fired).toBe(false);
      counted++;
    }
    expect(counted).toBe(1);
  });
});
