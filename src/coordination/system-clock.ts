import { atEndOfTurn } from '../protocol/turn.js';
import type { Clock, Random, Timer } from './world.js';

/** The production clock: wall time for timestamps, the monotonic clock for durations. */
export const systemClock: Clock = {
  nowMicros: () => Math.round((performance.timeOrigin + performance.now()) * 1000),
  monotonicMs: () => performance.now(),
  /**
   * Fires no sooner than `delayMs` from now. Node counts a timer in whole ms from the time it read
   * at the start of the event-loop turn, so one set late in a turn, or for less than a ms, can fire
   * almost at once: a read's speculative retry at its replicas' 99th percentile (well under a ms
   * on a quiet cluster) then went out before most replies could come. Such a timer is set again for
   * what is left.
   */
  setTimer(delayMs: number, fn: () => void): Timer {
    const dueMs = performance.now() + delayMs;
    const fire = (): void => {
      const leftMs = dueMs - performance.now();
      if (leftMs > 0) t = unrefTimeout(fire, leftMs);
      else fn();
    };
    let t = unrefTimeout(fire, delayMs);
    return { cancel: () => clearTimeout(t) };
  },
  defer: atEndOfTurn,
};

/** A pending timer must not keep a stopping node alive. */
function unrefTimeout(fn: () => void, delayMs: number): NodeJS.Timeout {
  const t = setTimeout(fn, delayMs);
  t.unref();
  return t;
}

export const systemRandom: Random = { next: () => Math.random() };
