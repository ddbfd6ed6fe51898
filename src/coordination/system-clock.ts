import { atEndOfTurn } from '../protocol/turn.js';
import type { Clock, Random, Timer } from './world.js';

/** The production clock: wall time for timestamps, the monotonic clock for durations. */
export const systemClock: Clock = {
  nowMicros: () => Math.round((performance.timeOrigin + performance.now()) * 1000),
  monotonicMs: () => performance.now(),
  setTimer(delayMs: number, fn: () => void): Timer {
    const t = setTimeout(fn, delayMs);
    // A pending timer must not keep a stopping node alive.
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
  defer: atEndOfTurn,
};

export const systemRandom: Random = { next: () => Math.random() };
