import { RingkvError } from '../protocol/errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "3h", "90m", "500ms", "10s", "2d" (a bare number is ms) to milliseconds. */
export function parseDurationMs(input: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(input.trim());
  if (!m)
    throw new RingkvError('USAGE', `${flag} "${input}" is not a duration like 500ms, 10s, 30m, 3h or 2d`);
  return Math.round(Number(m[1]) * (UNIT_MS[m[2] ?? 'ms'] ?? 1));
}

/**
 * How long a run lasts: a bare number is seconds (`bench --duration 10`), else a duration with its
 * unit. Zero only where `orNone` says it means "none" (`bench --warmup 0`).
 */
export function parseRunLengthMs(input: string, flag: string, orNone = false): number {
  const ms = /^\d+(?:\.\d+)?$/.test(input.trim()) ? Number(input) * 1000 : parseDurationMs(input, flag);
  if (!(ms > 0) && !(orNone && ms === 0))
    throw new RingkvError('USAGE', `${flag} "${input}" must be longer than 0`);
  return ms;
}

/** A TTL: a bare number is seconds, as Cassandra's USING TTL, or a duration with its unit (1h, 7d). */
export function parseTtlSeconds(input: string, flag: string, maxSeconds: number): number {
  const ms = parseRunLengthMs(input, flag);
  // The limit first: past it, a number of seconds is no longer exact in ms.
  if (ms / 1000 > maxSeconds)
    throw new RingkvError('USAGE', `${flag} "${input}" is longer than the longest TTL, ${maxSeconds} s`);
  if (ms % 1000 !== 0) throw new RingkvError('USAGE', `${flag} "${input}" is not a whole number of seconds`);
  return ms / 1000;
}
