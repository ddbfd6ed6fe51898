import { describe, expect, it } from 'vitest';
import { settlesWithin } from '../../../src/protocol/settles-within.js';

describe('settlesWithin', () => {
  it('is true for a promise that settles in time, either way, and false for one that does not', async () => {
    expect(await settlesWithin(Promise.resolve(1), 1000)).toBe(true);
    expect(await settlesWithin(Promise.reject(new Error('x')), 1000)).toBe(true);
    expect(await settlesWithin(new Promise(() => {}), 5)).toBe(false);
  });
});
