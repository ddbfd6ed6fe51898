import { describe, expect, it } from 'vitest';
import { NodeStats, RecentLatency } from '../../../src/node/stats.js';
import { RingkvError } from '../../../src/protocol/errors.js';
import { withResolvers } from '../../../src/protocol/with-resolvers.js';

describe('node stats', () => {
  it('counts coordinated requests, the latency of those answered, and failures by code', async () => {
    let now = 1000;
    const stats = new NodeStats({ monotonicMs: () => now });
    const answered = withResolvers<{ repaired: string[] }>();
    const counted = stats.coordinated(
      stats.reads,
      answered.promise,
      (r) => (stats.readRepairs += r.repaired.length),
    );
    now += 2.5;
    answered.resolve({ repaired: ['b'] });
    expect(await counted).toEqual({ repaired: ['b'] });

    const timeout = new RingkvError('READ_TIMEOUT', 'QUORUM needed 2 replica responses, got 1');
    const failed = stats.coordinated(stats.reads, Promise.reject(timeout));
    // The caller still gets the failure itself.
    await expect(failed).rejects.toBe(timeout);
    await stats.coordinated(stats.reads, Promise.reject(new Error('a bug'))).catch(() => undefined);
    now += 1000;

    const summary = stats.reads.summary();
    expect(summary).toMatchObject({ requests: 3, failed: { READ_TIMEOUT: 1, SERVER_ERROR: 1 } });
    expect(summary.latency.p50).toBeCloseTo(2.5, 2);
    expect(stats.readRepairs).toBe(1);
    expect(stats.writes.summary()).toEqual({
      requests: 0,
      failed: {},
      latency: { p50: 0, p90: 0, p99: 0, max: 0 },
    });
    expect(stats.uptimeMs()).toBe(1003);
  });

  it('gives latency percentiles of the last one to two minutes, not since the start', () => {
    let now = 0;
    const latency = new RecentLatency({ monotonicMs: () => now });
    latency.recordMs(5);
    expect(latency.summary().max).toBeCloseTo(5, 2);
    now = 61_000;
    latency.recordMs(1);
    // The minute before still shows beside this one.
    expect(latency.summary()).toMatchObject({
      max: expect.closeTo(5, 2) as number,
      p50: expect.closeTo(1, 2) as number,
    });
    now = 121_000;
    expect(latency.summary().max).toBeCloseTo(1, 2);
    // A node idle for minutes shows no latency rather than an old one.
    now = 300_000;
    expect(latency.summary()).toMatchObject({ p50: 0, max: 0 });
    latency.recordMs(2);
    expect(latency.summary().max).toBeCloseTo(2, 2);
  });
});
