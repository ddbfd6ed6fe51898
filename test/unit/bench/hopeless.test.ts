import { describe, expect, it } from 'vitest';
import { loadRecords, type BenchTarget, type LoadMode } from '../../../src/bench/runner.js';
import { RingkvError } from '../../../src/protocol/errors.js';
import { valueTooLarge } from '../../../src/protocol/limits.js';
import { writeRun } from './write-run.js';

/** A target whose every write fails with `error`, counting the writes it was asked for. */
function failing(error: Error): BenchTarget & { writes: number } {
  const t = {
    writes: 0,
    read: () => Promise.reject(new Error('no reads in this workload')),
    write: () => {
      t.writes++;
      return Promise.reject(error);
    },
  };
  return t;
}

const tooLarge = valueTooLarge(new Uint8Array(2_000_000), 1024 * 1024) as RingkvError;

const run = (t: BenchTarget, mode: LoadMode, count = 100_000) => writeRun(t, mode, count);

describe('a bench whose operations fail in a way no retry can fix', () => {
  it('stops at the first such failure in a closed loop, and fails with it', async () => {
    const t = failing(tooLarge);
    const run4 = run(t, { kind: 'closed', concurrency: 4 });
    await expect(run4).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: `stopped at the first failure no retry can fix: ${tooLarge.message}`,
    });
    // The operations already in flight when the first failed, and no more.
    expect(t.writes).toBeLessThanOrEqual(4);
  });

  it('stops an open loop too, and a refused secret counts as well', async () => {
    const t = failing(new RingkvError('UNAUTHORIZED', 'wrong secret'));
    const stopped = run(t, { kind: 'open', rateOpsPerSecond: 1000, maxInFlight: 100 }, 2000);
    await expect(stopped).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    // Two seconds of schedule; it stopped at the first answer.
    expect(t.writes).toBeLessThan(10);
  });

  it('stops the load phase at the first, which would otherwise try every record', async () => {
    const t = failing(tooLarge);
    const load = loadRecords(t, { records: 10_000, valueBytes: 8, concurrency: 16, seed: 1 });
    await expect(load).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect(t.writes).toBeLessThanOrEqual(16);
  });

  it('runs on through failures a retry may fix, such as timeouts', async () => {
    const t = failing(new RingkvError('WRITE_TIMEOUT', 'late'));
    const result = await run(t, { kind: 'closed', concurrency: 4 }, 200);
    expect(result.errors).toBe(200);
    expect(t.writes).toBe(200);
  });
});
