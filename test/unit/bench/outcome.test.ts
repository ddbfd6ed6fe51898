import { describe, expect, it } from 'vitest';
import { everyOperationFailed, type BenchTarget } from '../../../src/bench/runner.js';
import { RingkvError } from '../../../src/protocol/errors.js';
import { writeRun } from './write-run.js';

/** A target whose writes fail with `fail(i)` (undefined: succeed) for the i-th write. */
function target(fail: (i: number) => Error | undefined): BenchTarget {
  let i = 0;
  return {
    read: () => Promise.reject(new Error('no reads in this workload')),
    write: () => {
      const e = fail(i++);
      return e ? Promise.reject(e) : Promise.resolve();
    },
  };
}

const run = (t: BenchTarget) => writeRun(t, { kind: 'closed', concurrency: 2 }, 10);

describe('the outcome of a bench run', () => {
  it('fails with the code most operations failed with when not one succeeded', async () => {
    const unavailable = new RingkvError('UNAVAILABLE', 'ALL needs 3 replicas, 2 are alive');
    const timeout = new RingkvError('WRITE_TIMEOUT', 'ALL needed 3 acks, got 2');
    const result = await run(target((i) => (i < 3 ? timeout : unavailable)));
    const failed = everyOperationFailed(result);
    expect(failed?.code).toBe('UNAVAILABLE');
    expect(failed?.message).toMatch(
      /^every operation failed in [\d.]+ s \(UNAVAILABLE 7, WRITE_TIMEOUT 3\); first: ALL needed 3 acks, got 2$/,
    );
    expect(failed?.details).toEqual({ errors: 10, errorCodes: { WRITE_TIMEOUT: 3, UNAVAILABLE: 7 } });
  });

  it('succeeds, reporting its errors, when some operations succeeded', async () => {
    const result = await run(
      target((i) => (i % 2 === 0 ? new RingkvError('WRITE_TIMEOUT', 'late') : undefined)),
    );
    expect(result.errors).toBe(5);
    expect(everyOperationFailed(result)).toBeUndefined();
  });

  it('says SERVER_ERROR for failures that carry no code', async () => {
    const result = await run(target(() => new Error('socket hang up')));
    expect(everyOperationFailed(result)?.code).toBe('SERVER_ERROR');
  });
});
