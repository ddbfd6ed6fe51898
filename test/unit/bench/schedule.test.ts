import { describe, expect, it } from 'vitest';
import type { BenchTarget } from '../../../src/bench/runner.js';
import { OpenLoopSchedule } from '../../../src/bench/schedule.js';
import { writeRun } from './write-run.js';

describe('OpenLoopSchedule', () => {
  it('spaces intended starts evenly at the rate, whatever happens to the operations', () => {
    const s = new OpenLoopSchedule(1000, 500);
    expect(s.intendedStartMs(0)).toBe(1000);
    expect(s.intendedStartMs(1)).toBe(1002);
    expect(s.intendedStartMs(500)).toBe(2000);
  });

  it('counts the operations due by a time, the first one at the start', () => {
    const s = new OpenLoopSchedule(1000, 1000);
    expect(s.dueBy(999)).toBe(0);
    expect(s.dueBy(1000)).toBe(1);
    expect(s.dueBy(1000.5)).toBe(1);
    expect(s.dueBy(1001)).toBe(2);
    expect(s.dueBy(2000)).toBe(1001);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new OpenLoopSchedule(0, 0)).toThrow(RangeError);
  });
});

describe('open loop latency', () => {
  it('counts a stall against every operation it delayed, not just the one that stalled', async () => {
    // A fake clock: each operation takes 1 ms, except one that stalls for 100 ms and, with a
    // single operation allowed in flight, holds back everything scheduled behind it.
    let clock = 0;
    let calls = 0;
    const target: BenchTarget = {
      read: () => Promise.reject(new Error('no reads in this workload')),
      write: () => {
        calls++;
        clock += calls === 1 ? 100 : 1;
        return Promise.resolve();
      },
    };
    const result = await writeRun(
      target,
      { kind: 'open', rateOpsPerSecond: 100, maxInFlight: 1 },
      10,
      () => clock,
    );
    expect(result.ops).toBe(10);
    expect(result.errors).toBe(0);
    // Measured from the operation's own start, nine of ten would look like 1 ms. From the
    // intended start (every 10 ms) the ones queued behind the stall wait tens of ms more.
    expect(result.latency.p50).toBeGreaterThan(40);
    expect(result.latency.max).toBeGreaterThanOrEqual(100);
  });
});
