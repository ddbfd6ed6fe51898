/**
 * The open-loop schedule: operation i is due at start + i / rate, whether or not earlier ones
 * have finished. Its latency counts from that intended start, so a stall shows up in the
 * latency of every operation it delayed instead of being hidden (coordinated omission).
 */
export class OpenLoopSchedule {
  private readonly intervalMs: number;

  constructor(
    readonly startMs: number,
    readonly rateOpsPerSecond: number,
  ) {
    if (!(rateOpsPerSecond > 0) || !Number.isFinite(rateOpsPerSecond)) {
      throw new RangeError(
        `rate must be a positive number of operations per second, got ${rateOpsPerSecond}`,
      );
    }
    this.intervalMs = 1000 / rateOpsPerSecond;
  }

  /** When operation i (from 0) should start. */
  intendedStartMs(i: number): number {
    return this.startMs + i * this.intervalMs;
  }

  /** How many operations are due by nowMs (operation 0 is due at the start). */
  dueBy(nowMs: number): number {
    if (nowMs < this.startMs) return 0;
    // The epsilon keeps an operation due at exactly its intended start despite rounding.
    return Math.floor(((nowMs - this.startMs) * this.rateOpsPerSecond) / 1000 + 1e-9) + 1;
  }
}
