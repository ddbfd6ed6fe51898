import { describe, expect, it } from 'vitest';
import { parseCpuTicks } from '../../../bench/steal.js';

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
