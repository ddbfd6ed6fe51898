import { describe, expect, it } from 'vitest';
import { parseDurationMs, parseRunLengthMs, parseTtlSeconds } from '../../../src/cli/duration.js';

describe('parseDurationMs', () => {
  it('reads a number with its unit, a bare number as ms', () => {
    expect(parseDurationMs('500ms', '--x')).toBe(500);
    expect(parseDurationMs('1.5s', '--x')).toBe(1500);
    expect(parseDurationMs('3h', '--x')).toBe(10_800_000);
    expect(parseDurationMs('250', '--x')).toBe(250);
    expect(() => parseDurationMs('3 weeks', '--gc-grace')).toThrow(
      '--gc-grace "3 weeks" is not a duration like 500ms, 10s, 30m, 3h or 2d',
    );
  });
});

describe('parseRunLengthMs', () => {
  it('reads a bare number as seconds, and takes a unit too', () => {
    expect(parseRunLengthMs('10', '--duration')).toBe(10_000);
    expect(parseRunLengthMs('0.5', '--duration')).toBe(500);
    expect(parseRunLengthMs('3s', '--duration')).toBe(3000);
    expect(parseRunLengthMs('2m', '--duration')).toBe(120_000);
    expect(parseRunLengthMs('750ms', '--duration')).toBe(750);
  });

  it('refuses a run of no length, and what is not a duration', () => {
    expect(() => parseRunLengthMs('0', '--duration')).toThrow('--duration "0" must be longer than 0');
    expect(() => parseRunLengthMs('0s', '--duration')).toThrow('--duration "0s" must be longer than 0');
    expect(() => parseRunLengthMs('soon', '--duration')).toThrow('is not a duration like');
  });
});

describe('parseTtlSeconds', () => {
  it('reads a bare number as seconds, and takes a unit', () => {
    expect(parseTtlSeconds('60', '--ttl', 1000)).toBe(60);
    expect(parseTtlSeconds('15m', '--ttl', 1000)).toBe(900);
    expect(parseTtlSeconds('2000ms', '--ttl', 1000)).toBe(2);
  });

  it('refuses part of a second, no time at all, and more than the longest TTL', () => {
    expect(() => parseTtlSeconds('1.5', '--ttl', 1000)).toThrow(
      '--ttl "1.5" is not a whole number of seconds',
    );
    expect(() => parseTtlSeconds('0', '--ttl', 1000)).toThrow('--ttl "0" must be longer than 0');
    expect(() => parseTtlSeconds('1h', '--ttl', 1000)).toThrow(
      '--ttl "1h" is longer than the longest TTL, 1000 s',
    );
    // So many seconds that their ms are no longer exact: still "too long", not "not whole".
    expect(() => parseTtlSeconds('99999999999999', '--ttl', 1000)).toThrow(
      '--ttl "99999999999999" is longer than the longest TTL, 1000 s',
    );
  });
});
