import { describe, expect, it } from 'vitest';
import { LatencyTracker } from '../../../src/coordination/latency.js';

describe('LatencyTracker', () => {
  it('has no percentile until it has enough samples', () => {
    const t = new LatencyTracker();
    for (let i = 0; i < 19; i++) t.record('a', 1);
    expect(t.percentile('a', 99)).toBeUndefined();
    t.record('a', 1);
    expect(t.percentile('a', 99)).toBe(1);
  });

  it('gives the nearest-rank percentile of the recent window', () => {
    const t = new LatencyTracker();
    for (let i = 100; i >= 1; i--) t.record('a', i);
    expect(t.percentile('a', 50)).toBe(50);
    expect(t.percentile('a', 99)).toBe(99);
    expect(t.percentile('a', 100)).toBe(100);
  });

  it('follows a replica that slowed down within a few samples', () => {
    const t = new LatencyTracker();
    for (let i = 0; i < 256; i++) t.record('a', 1);
    expect(t.percentile('a', 99)).toBe(1);
    for (let i = 0; i < 32; i++) t.record('a', 50);
    expect(t.percentile('a', 99)).toBe(50);
  });

  it('keeps an exponentially weighted average per replica', () => {
    const t = new LatencyTracker();
    t.record('a', 10);
    expect(t.ewma('a')).toBe(10);
    t.record('a', 20);
    expect(t.ewma('a')).toBeCloseTo(12);
    expect(t.ewma('b')).toBeUndefined();
  });
});
