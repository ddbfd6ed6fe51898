import { describe, expect, it } from 'vitest';
import { leafRuns } from '../../../src/node/repair/repair.js';

describe('the runs of differing leaves a repair reads', () => {
  it('reads adjacent leaves in one scan', () => {
    expect(leafRuns([2, 3, 4, 9])).toEqual([
      { first: 2, last: 4 },
      { first: 9, last: 9 },
    ]);
  });

  it('reads across a gap of at most maxGap agreeing leaves rather than scanning again', () => {
    // 4 and 7 are two agreeing leaves apart; 7 and 11 three.
    expect(leafRuns([4, 7, 11], 2)).toEqual([
      { first: 4, last: 7 },
      { first: 11, last: 11 },
    ]);
    expect(leafRuns([4, 7, 11], 3)).toEqual([{ first: 4, last: 11 }]);
  });

  it('has nothing to read when no leaf differs', () => {
    expect(leafRuns([], 5)).toEqual([]);
  });
});
