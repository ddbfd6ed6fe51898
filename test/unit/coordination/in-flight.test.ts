import { describe, expect, it } from 'vitest';
import { InFlight } from '../../../src/coordination/in-flight.js';

describe('InFlight', () => {
  it('is idle at once with nothing under way, and once the last of what was resolves', async () => {
    const work = new InFlight();
    await work.idle();
    work.begin();
    work.begin();
    const seen: string[] = [];
    void work.idle().then(() => seen.push('first'));
    void work.idle().then(() => seen.push('second'));
    work.end();
    await Promise.resolve();
    expect(seen).toEqual([]);
    work.end();
    await Promise.resolve();
    expect(seen).toEqual(['first', 'second']);
    await work.idle();
  });
});
