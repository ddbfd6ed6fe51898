/**
 * A hybrid logical clock in integer microseconds since the epoch. Timestamps follow the physical
 * clock when it moves forward, and otherwise step one microsecond past the last one handed out, so
 * on one node they never go backwards and never repeat, even when the wall clock is stepped back or
 * read twice within a microsecond. Observing a peer's timestamp keeps later local ones above it, so
 * a write that follows one it has seen also wins over it under last-write-wins.
 */

/** How far ahead of our physical clock a remote timestamp may be before we refuse to follow it. */
export const DEFAULT_MAX_DRIFT_MS = 60_000;

export type ObserveResult =
  | { readonly accepted: true }
  /** Following it would drag this node's timestamps far into the future (a peer with a broken clock). */
  | { accepted: false; reason: 'too-far-ahead'; aheadMs: number }
  | { accepted: false; reason: 'not-a-timestamp' };

/** Every replica write observes a timestamp: the common answer is one shared object. */
const ACCEPTED: ObserveResult = { accepted: true };

export interface HybridClockOptions {
  maxDriftMs?: number;
}

export class HybridClock {
  private last = 0;
  private readonly maxDriftMicros: number;

  constructor(
    private readonly physicalMicros: () => number,
    options: HybridClockOptions = {},
  ) {
    const maxDriftMs = options.maxDriftMs ?? DEFAULT_MAX_DRIFT_MS;
    if (!(maxDriftMs >= 0)) throw new Error(`maxDriftMs must be >= 0, not ${maxDriftMs}`);
    this.maxDriftMicros = maxDriftMs * 1000;
  }

  /** A timestamp greater than every one this clock has returned or accepted from a peer. */
  now(): number {
    const physical = Math.floor(this.physicalMicros());
    this.last = physical > this.last ? physical : this.last + 1;
    if (!Number.isSafeInteger(this.last)) throw new Error(`hybrid clock overflowed at ${this.last}`);
    return this.last;
  }

  /**
   * Moves the clock past a timestamp seen from a peer or a client. One more than `maxDriftMs`
   * ahead of the physical clock is refused and leaves the clock as it was: the caller says so.
   */
  observe(remoteMicros: number): ObserveResult {
    if (!Number.isSafeInteger(remoteMicros)) return { accepted: false, reason: 'not-a-timestamp' };
    const physical = Math.floor(this.physicalMicros());
    const ahead = remoteMicros - physical;
    if (ahead > this.maxDriftMicros)
      return { accepted: false, reason: 'too-far-ahead', aheadMs: ahead / 1000 };
    if (remoteMicros > this.last) this.last = remoteMicros;
    return ACCEPTED;
  }

  /** The last timestamp handed out or observed, without advancing. */
  peek(): number {
    return this.last;
  }
}
