import { describe, expect, it } from 'vitest';
import { atEndOfTurn } from '../../../src/protocol/turn.js';

describe('atEndOfTurn', () => {
  it('runs work deferred by deferred work in the same turn, in order', async () => {
    const order: string[] = [];
    atEndOfTurn(() => {
      order.push('batch');
      atEndOfTurn(() => order.push('frame'));
    });
    atEndOfTurn(() => order.push('commit'));
    // Queued after the first deferral: with a setImmediate each, 'frame' would come after this.
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['batch', 'commit', 'frame']);
  });

  it('runs again for work deferred after a run', async () => {
    const order: number[] = [];
    atEndOfTurn(() => order.push(1));
    await new Promise((resolve) => setImmediate(resolve));
    atEndOfTurn(() => order.push(2));
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual([1, 2]);
  });
});
