import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_DRIFT_MS, HybridClock } from '../../src/coordination/hlc.js';

/** A wall clock the test sets by hand. */
function wall(start: number): { read: () => number; set: (micros: number) => void } {
  let now = start;
  return { read: () => now, set: (m) => (now = m) };
}

describe('HybridClock', () => {
  it('follows the physical clock while it moves forward', () => {
    const w = wall(1_000_000);
    const hlc = new HybridClock(w.read);
    expect(hlc.now()).toBe(1_000_000);
    w.set(2_000_000);
    expect(hlc.now()).toBe(2_000_000);
  });

  it('never repeats a timestamp read twice within one microsecond', () => {
    const hlc = new HybridClock(() => 5_000_000);
    const seen = Array.from({ length: 1000 }, () => hlc.now());
    expect(new Set(seen).size).toBe(1000);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it('never goes backwards when the wall clock is stepped back', () => {
    const w = wall(10_000_000);
    const hlc = new HybridClock(w.read);
    const before = hlc.now();
    w.set(3_000_000);
    const after = hlc.now();
    expect(after).toBeGreaterThan(before);
    // Once the wall clock passes the clock again, it follows it again.
    w.set(20_000_000);
    expect(hlc.now()).toBe(20_000_000);
  });

  it('hands out whole microseconds from a fractional physical clock', () => {
    const hlc = new HybridClock(() => 1_000_000.75);
    expect(hlc.now()).toBe(1_000_000);
    expect(Number.isInteger(hlc.now())).toBe(true);
  });

  it('stays above a remote timestamp from a peer whose clock runs ahead', () => {
    const w = wall(1_000_000_000);
    const hlc = new HybridClock(w.read);
    const remote = 1_000_000_000 + 5_000_000; // five seconds ahead
    expect(hlc.observe(remote)).toEqual({ accepted: true });
    expect(hlc.now()).toBeGreaterThan(remote);
    // An older remote timestamp changes nothing.
    const last = hlc.now();
    expect(hlc.observe(remote - 1)).toEqual({ accepted: true });
    expect(hlc.now()).toBe(last + 1);
  });

  it('refuses to follow a remote timestamp more than the drift bound ahead, and says by how much', () => {
    const w = wall(1_000_000_000);
    const hlc = new HybridClock(w.read);
    const tooFar = 1_000_000_000 + (DEFAULT_MAX_DRIFT_MS + 1000) * 1000;
    expect(hlc.observe(tooFar)).toEqual({
      accepted: false,
      reason: 'too-far-ahead',
      aheadMs: DEFAULT_MAX_DRIFT_MS + 1000,
    });
    expect(hlc.now()).toBeLessThan(tooFar);
    // Exactly at the bound is still followed.
    const atBound = 1_000_000_000 + DEFAULT_MAX_DRIFT_MS * 1000;
    expect(hlc.observe(atBound).accepted).toBe(true);
    expect(hlc.now()).toBe(atBound + 1);
  });

  it('takes its drift bound from the options', () => {
    const hlc = new HybridClock(() => 1_000_000, { maxDriftMs: 10 });
    expect(hlc.observe(1_000_000 + 10_001).accepted).toBe(false);
    expect(hlc.observe(1_000_000 + 10_000).accepted).toBe(true);
  });

  it('ignores a remote value that is not a timestamp', () => {
    const hlc = new HybridClock(() => 1_000_000);
    expect(hlc.observe(Number.NaN)).toEqual({ accepted: false, reason: 'not-a-timestamp' });
    expect(hlc.observe(1.5)).toEqual({ accepted: false, reason: 'not-a-timestamp' });
    expect(hlc.now()).toBe(1_000_000);
  });
});
