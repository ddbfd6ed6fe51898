import type { Clock, Timer } from '../../src/node/world.js';

/** Virtual time starts here (ms since the epoch), so timestamps look like real ones. */
export const SIM_EPOCH_MS = 1_700_000_000_000;

interface Entry {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** Lets every promise continuation that is ready run, and nothing else: no real time passes. */
const drainMicrotasks = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The simulation's only source of time: a priority queue of timers ordered by (time, insertion).
 * Between two timers every ready continuation runs to completion, so a seed replays exactly.
 */
export class VirtualTime {
  nowMs = 0;
  private seq = 0;
  private readonly heap: Entry[] = [];
  /** Exceptions thrown by timer callbacks: in a real process they would be uncaught. */
  readonly errors: unknown[] = [];
  events = 0;

  schedule(delayMs: number, fn: () => void): Timer {
    const entry: Entry = { at: this.nowMs + Math.max(0, delayMs), seq: this.seq++, fn, cancelled: false };
    this.push(entry);
    return {
      cancel: () => {
        entry.cancelled = true;
      },
    };
  }

  /** Resolves once `ms` of virtual time have passed. */
  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => this.schedule(ms, resolve));
  }

  /**
   * A node's clock: its wall clock is skewed by skewMs, its monotonic clock is the shared one, and
   * its timers stop firing once `alive` says the process is gone. A timer due runs through `run`,
   * which holds it while the process is paused.
   */
  clockFor(skewMs: () => number, alive: () => boolean, run: (fn: () => void) => void = (fn) => fn()): Clock {
    const setTimer = (delayMs: number, fn: () => void): Timer => {
      // A timer held while paused may be cancelled before the process gets to it.
      let cancelled = false;
      const timer = this.schedule(delayMs, () => {
        if (!alive()) return;
        run(() => {
          if (alive() && !cancelled) fn();
        });
      });
      return {
        cancel: () => {
          cancelled = true;
          timer.cancel();
        },
      };
    };
    return {
      nowMicros: () => Math.floor((SIM_EPOCH_MS + this.nowMs + skewMs()) * 1000),
      monotonicMs: () => this.nowMs,
      setTimer,
      // After every event already due now: the simulated end of the turn.
      defer: (fn) => {
        setTimer(0, fn);
      },
    };
  }

  /** Runs the next timer and everything it makes ready. False when nothing is scheduled. */
  async step(): Promise<boolean> {
    const entry = this.pop();
    if (!entry) return false;
    if (entry.cancelled) return true;
    this.nowMs = entry.at;
    this.events++;
    try {
      entry.fn();
    } catch (e) {
      this.errors.push(e);
    }
    await drainMicrotasks();
    return true;
  }

  async runFor(ms: number): Promise<void> {
    const until = this.nowMs + ms;
    while (this.heap.length > 0 && (this.heap[0] as Entry).at <= until) await this.step();
    this.nowMs = Math.max(this.nowMs, until);
  }

  /** Runs until the condition holds (checked every checkMs) or limitMs passed; true if it held. */
  async runUntil(
    condition: () => boolean | Promise<boolean>,
    limitMs: number,
    checkMs = 50,
  ): Promise<boolean> {
    const deadline = this.nowMs + limitMs;
    for (;;) {
      if (await condition()) return true;
      if (this.nowMs >= deadline) return false;
      await this.runFor(Math.min(checkMs, deadline - this.nowMs));
    }
  }

  /** Runs virtual time until the promise settles; fails if it does not within limitMs. */
  async settle<T>(promise: Promise<T>, limitMs: number, what: string): Promise<T> {
    let state: 'pending' | 'done' = 'pending';
    const watched = promise.finally(() => {
      state = 'done';
    });
    watched.catch(() => undefined);
    await drainMicrotasks();
    const deadline = this.nowMs + limitMs;
    while (state === 'pending') {
      if (this.nowMs >= deadline || !(await this.step())) {
        if (state === 'pending') throw new Error(`${what} did not finish within ${limitMs} virtual ms`);
      }
    }
    return watched;
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(e, h[parent] as Entry)) break;
      h[i] = h[parent] as Entry;
      i = parent;
    }
    h[i] = e;
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined || h.length === 0) return top;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      if (l < h.length && before(h[l] as Entry, h[smallest] as Entry)) smallest = l;
      if (r < h.length && before(h[r] as Entry, h[smallest] as Entry)) smallest = r;
      if (smallest === i) break;
      const tmp = h[i] as Entry;
      h[i] = h[smallest] as Entry;
      h[smallest] = tmp;
      i = smallest;
    }
    return top;
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
