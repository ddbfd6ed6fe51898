import { runLoad, type BenchResult, type BenchTarget, type LoadMode } from '../../../src/bench/runner.js';
import { WORKLOADS } from '../../../src/bench/workload.js';

/**
 * A run of `count` writes of 8 bytes over 10 keys, seeded; `now` is the run's clock (default
 * performance.now), `warmupMs` an unmeasured warm-up first.
 */
export function writeRun(
  target: BenchTarget,
  mode: LoadMode,
  count: number,
  now?: () => number,
  warmupMs?: number,
): Promise<BenchResult> {
  return runLoad(target, {
    workload: WORKLOADS.write,
    distribution: 'uniform',
    records: 10,
    valueBytes: 8,
    mode,
    stop: { kind: 'ops', count },
    seed: 1,
    ...(now ? { now } : {}),
    ...(warmupMs !== undefined ? { warmupMs } : {}),
  });
}
