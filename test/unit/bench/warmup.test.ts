import { describe, expect, it } from 'vitest';
import { renderResult } from '../../../src/bench/format.js';
import type { BenchTarget, LoadMode } from '../../../src/bench/runner.js';
import { writeRun } from './write-run.js';

/**
 * A target that is slow until its clock reaches 100 ms, as a fresh client is while it compiles:
 * each operation takes 50 ms of the run's clock before then and 1 ms after.
 */
function coldThenWarm(): { target: BenchTarget; now: () => number } {
  let clock = 0;
  const take = () => {
    clock += clock < 100 ? 50 : 1;
    return Promise.resolve();
  };
  return { target: { read: take, write: take }, now: () => clock };
}

function run(mode: LoadMode, warmupMs?: number) {
  const { target, now } = coldThenWarm();
  return writeRun(target, mode, 20, now, warmupMs);
}

describe('a warm-up before the measured run', () => {
  it('measures none of its operations: the slow first ones are not in the latency', async () => {
    const cold = await run({ kind: 'closed', concurrency: 1 });
    expect(cold.latency.max).toBe(50);
    expect(cold.warmupSec).toBeUndefined();

    const warmed = await run({ kind: 'closed', concurrency: 1 }, 100);
    expect(warmed.ops).toBe(20);
    expect(warmed.latency.max).toBe(1);
    expect(warmed.warmupSec).toBe(0.1);
    expect(renderResult(warmed)).toMatch(
      /: 20 ops in 0\.0 s after a 0\.1 s warm-up \(0 reads, 20 writes\)$/m,
    );
  });

  it('runs an open loop at its rate, and the measured run starts its schedule afresh', async () => {
    const open: LoadMode = { kind: 'open', rateOpsPerSecond: 1000, maxInFlight: 1000 };
    const cold = await run(open);
    expect(cold.latency.max).toBeGreaterThanOrEqual(50);
    const warmed = await run(open, 100);
    expect(warmed.ops).toBe(20);
    expect(warmed.latency.max).toBeLessThan(10);
    expect(warmed.serviceLatency?.max).toBeLessThan(10);
  });
});
