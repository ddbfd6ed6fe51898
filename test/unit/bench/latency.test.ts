import { describe, expect, it } from 'vitest';
import { LatencyRecorder } from '../../../src/protocol/latency-recorder.js';
import type { BenchTarget } from '../../../src/bench/runner.js';
import { renderResult } from '../../../src/bench/format.js';
import { writeRun } from './write-run.js';

const instant: BenchTarget = { read: () => Promise.resolve(), write: () => Promise.resolve() };

describe('the latencies a bench run reports', () => {
  it('never put a percentile or the mean above the max, which the histogram keeps exactly', async () => {
    // Every operation takes 101.911 ms: the histogram's bucket for it ends at 101.951 ms, the
    // percentile it reported while max said 101.911. A clock that advances one step a reading
    // makes each operation last one step (start, check, issue, answer).
    const stepMs = 101.911;
    let reading = 0;
    const result = await writeRun(instant, { kind: 'closed', concurrency: 1 }, 50, () => stepMs * reading++);
    expect(result.ops).toBe(50);
    const { max, ...rest } = result.latency;
    expect(max).toBe(101.911);
    for (const [name, ms] of Object.entries(rest)) expect(ms, name).toBeLessThanOrEqual(max);
    expect(result.latency.p999).toBe(101.911);
  });

  it('keeps percentiles below the max as they are, also in stats (the same recorder)', () => {
    const recorder = new LatencyRecorder();
    for (let i = 1; i <= 1000; i++) recorder.recordMs(i / 100);
    const s = recorder.summary();
    expect(s.max).toBe(10);
    expect(s.p50).toBeCloseTo(5, 1);
    expect(s.p99).toBeCloseTo(9.9, 1);
    expect(s.p99).toBeLessThan(s.max);
    const one = new LatencyRecorder();
    one.recordMs(101.911);
    expect(one.summary()).toEqual({
      p50: 101.911,
      p90: 101.911,
      p99: 101.911,
      p999: 101.911,
      max: 101.911,
      mean: 101.911,
    });
  });

  it('in an open loop, also measures from each actual start, so a late start is told from a slow answer', async () => {
    // The generator wakes 100 ms after the start: the 50 operations due by then (one a ms) start
    // together, and the target answers at once. Latency from the intended start is the lateness;
    // from the actual start, nothing.
    let reading = 0;
    const result = await writeRun(
      instant,
      { kind: 'open', rateOpsPerSecond: 1000, maxInFlight: 1000 },
      50,
      () => (reading++ === 0 ? 0 : 100),
    );
    expect(result.ops).toBe(50);
    expect(result.latency.max).toBe(100);
    expect(result.latency.p50).toBeGreaterThan(70);
    // The recorder counts whole microseconds, at least one.
    expect(result.serviceLatency?.max).toBeLessThanOrEqual(0.001);
    expect(renderResult(result)).toMatch(
      /^service ms {2}p50 0\.00[01] .* max 0\.00[01] \(from each actual start\)$/m,
    );
  });

  it('leaves it out of a closed loop, where every operation starts when it is meant to', async () => {
    const result = await writeRun(instant, { kind: 'closed', concurrency: 2 }, 20);
    expect(result.serviceLatency).toBeUndefined();
    expect(renderResult(result)).not.toMatch(/service/);
  });
});
