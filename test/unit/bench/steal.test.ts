import { describe, expect, it } from 'vitest';
import { parseCpuTicks, StealLog } from '../../../bench/steal.js';

describe('parseCpuTicks', () => {
  it('reads steal and the total of the first eight fields of the cpu line', () => {
    const stat = 'cpu  4020313 0 386860 3305337 35676 0 71302 27634 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n';
    expect(parseCpuTicks(stat)).toEqual({
      steal: 27634,
      total: 4020313 + 386860 + 3305337 + 35676 + 71302 + 27634,
    });
  });

  it('says nothing of a file it does not recognise (an old kernel without steal, another system)', () => {
    expect(parseCpuTicks('cpu  1 2 3 4\n')).toBeUndefined();
    expect(parseCpuTicks('intr 1 2 3 4 5 6 7 8 9\n')).toBeUndefined();
    expect(parseCpuTicks('')).toBeUndefined();
  });
});

describe('StealLog', () => {
  it('sums each part over its turns, in the order parts first ran', async () => {
    // Each read advances the clock: 100 ticks in all per turn, of which the scripted steal.
    const steals = [0, 50, 50, 50, 50, 60];
    let reads = 0;
    const log = new StealLog(() => {
      const i = reads++;
      return { steal: steals[i] as number, total: i * 100 };
    });
    await log.measure('ringkv', () => Promise.resolve());
    await log.measure('etcd', () => Promise.resolve());
    await log.measure('ringkv', () => Promise.resolve());
    // ringkv: (50 + 10) of 200 ticks; etcd: 0 of 100.
    expect(log.summary()).toBe(
      'CPU taken by the hypervisor for other guests (steal) while each part ran: ringkv 30%, etcd 0%.',
    );
  });

  it('says nothing where there is no /proc/stat', async () => {
    const log = new StealLog(() => undefined);
    await log.measure('ringkv', () => Promise.resolve());
    expect(log.summary()).toBeUndefined();
  });
});
