import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_TOKEN,
  MIN_TOKEN,
  cellKey,
  cellRangeBounds,
  decodeCellKey,
  decodeHintKey,
  hintKey,
  hintTargetPrefix,
  keyspaceBounds,
  metaKey,
  prefixEnd,
  splitWrapping,
} from '../../../src/node/storage/keys.js';
import type { StoreRange } from '../../../src/node/world.js';

const token = fc.bigInt({ min: MIN_TOKEN, max: MAX_TOKEN });
const keyBytes = fc.uint8Array({ maxLength: 24 });
const cmp = (a: Uint8Array, b: Uint8Array): number => Buffer.compare(a, b);
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

function inside(k: Uint8Array, r: StoreRange): boolean {
  return (
    (r.gt === undefined || cmp(k, r.gt) > 0) &&
    (r.gte === undefined || cmp(k, r.gte) >= 0) &&
    (r.lt === undefined || cmp(k, r.lt) < 0) &&
    (r.lte === undefined || cmp(k, r.lte) <= 0)
  );
}

describe('cell keys', () => {
  it('round-trip keyspace, token and key', () => {
    fc.assert(
      fc.property(token, keyBytes, (t, k) => {
        const decoded = decodeCellKey(cellKey('users', t, k));
        expect(decoded.keyspace).toBe('users');
        expect(decoded.token).toBe(t);
        expect(decoded.key).toEqual(k);
      }),
    );
  });

  it('sort by token, then key bytes, so a token range is one byte range', () => {
    fc.assert(
      fc.property(token, keyBytes, token, keyBytes, (t1, k1, t2, k2) => {
        const byBytes = Math.sign(cmp(cellKey('ks', t1, k1), cellKey('ks', t2, k2)));
        const byTokenThenKey = t1 !== t2 ? (t1 < t2 ? -1 : 1) : Math.sign(cmp(k1, k2));
        expect(byBytes).toBe(byTokenThenKey);
      }),
    );
  });

  it('keep the extremes of the ring at the ends of the keyspace', () => {
    const { gte, lt } = keyspaceBounds('ks');
    for (const t of [MIN_TOKEN, -1n, 0n, 1n, MAX_TOKEN]) {
      expect(inside(cellKey('ks', t, new Uint8Array()), { gte, lt })).toBe(true);
      expect(inside(cellKey('ks', t, Uint8Array.of(0xff, 0xff)), { gte, lt })).toBe(true);
    }
    expect(cmp(cellKey('ks', MIN_TOKEN, text('z')), cellKey('ks', MAX_TOKEN, text('a')))).toBeLessThan(0);
  });

  it('keep keyspaces apart, including one whose name extends another', () => {
    const ks = keyspaceBounds('ks');
    expect(inside(cellKey('ks2', 0n, text('a')), ks)).toBe(false);
    expect(inside(cellKey('k', MAX_TOKEN, Uint8Array.of(0xff)), ks)).toBe(false);
    expect(inside(metaKey('node'), ks)).toBe(false);
    expect(inside(hintKey('host', 1, 1), ks)).toBe(false);
  });

  it('select exactly the tokens of (start, end]', () => {
    fc.assert(
      fc.property(token, token, token, keyBytes, (a, b, t, k) => {
        fc.pre(a !== b);
        const [start, end] = a < b ? [a, b] : [b, a];
        const expected = t > start && t <= end;
        expect(inside(cellKey('ks', t, k), cellRangeBounds('ks', start, end))).toBe(expected);
      }),
    );
    const r = cellRangeBounds('ks', 10n, 20n);
    expect(inside(cellKey('ks', 10n, Uint8Array.of(0xff)), r)).toBe(false);
    expect(inside(cellKey('ks', 11n, new Uint8Array()), r)).toBe(true);
    expect(inside(cellKey('ks', 20n, Uint8Array.of(0xff, 0xff)), r)).toBe(true);
    expect(inside(cellKey('ks', 21n, new Uint8Array()), r)).toBe(false);
    expect(inside(cellKey('ks', MAX_TOKEN, text('k')), cellRangeBounds('ks', 0n, MAX_TOKEN))).toBe(true);
    // The ring's origin as a start means the beginning of the ring.
    expect(inside(cellKey('ks', MIN_TOKEN, text('k')), cellRangeBounds('ks', MIN_TOKEN, 0n))).toBe(true);
    expect(() => cellRangeBounds('ks', 5n, 5n)).toThrow(/wraps/);
  });

  it('refuse keyspace names that do not fit the layout', () => {
    expect(() => cellKey('', 0n, text('k'))).toThrow();
    expect(() => cellKey('x'.repeat(256), 0n, text('k'))).toThrow();
    expect(() => cellKey('ks', MAX_TOKEN + 1n, text('k'))).toThrow(/outside/);
  });
});

describe('splitWrapping', () => {
  it('leaves a non-wrapping range alone', () => {
    expect(splitWrapping(-5n, 7n)).toEqual([[-5n, 7n]]);
  });

  it('splits a wrapping range at the top of the ring, in ring order', () => {
    expect(splitWrapping(100n, -100n)).toEqual([
      [100n, MAX_TOKEN],
      [MIN_TOKEN, -100n],
    ]);
    expect(splitWrapping(MAX_TOKEN, 5n)).toEqual([[MIN_TOKEN, 5n]]);
    expect(splitWrapping(5n, MIN_TOKEN)).toEqual([[5n, MAX_TOKEN]]);
  });

  it('reads (x, x] as the whole ring', () => {
    expect(splitWrapping(42n, 42n)).toEqual([
      [42n, MAX_TOKEN],
      [MIN_TOKEN, 42n],
    ]);
    expect(splitWrapping(MIN_TOKEN, MIN_TOKEN)).toEqual([[MIN_TOKEN, MAX_TOKEN]]);
    expect(splitWrapping(MAX_TOKEN, MAX_TOKEN)).toEqual([[MIN_TOKEN, MAX_TOKEN]]);
  });

  it('covers every token of the range exactly once', () => {
    fc.assert(
      fc.property(token, token, token, (start, end, t) => {
        const inRange = start < end ? t > start && t <= end : t > start || t <= end;
        const hits = splitWrapping(start, end).filter(
          ([s, e]) => (s === MIN_TOKEN ? t >= s : t > s) && t <= e,
        );
        // MIN_TOKEN is never a key's token; only the whole-ring pieces may claim it without the range doing so.
        fc.pre(t !== MIN_TOKEN);
        expect(hits.length).toBe(inRange ? 1 : 0);
      }),
    );
  });
});

describe('hint keys', () => {
  it('round-trip target, creation time and sequence', () => {
    const k = hintKey('3f1c-host', 1_700_000_000_123_456, 0xfffffffe);
    expect(decodeHintKey(k)).toEqual({
      target: '3f1c-host',
      createdMicros: 1_700_000_000_123_456,
      seq: 0xfffffffe,
    });
  });

  it("sort one target's hints oldest first, and keep targets apart", () => {
    const prefix = hintTargetPrefix('a');
    const range = { gte: prefix, lt: prefixEnd(prefix) };
    const older = hintKey('a', 1_000, 9);
    const newer = hintKey('a', 2_000, 1);
    expect(cmp(older, newer)).toBeLessThan(0);
    expect(cmp(hintKey('a', 2_000, 1), hintKey('a', 2_000, 2))).toBeLessThan(0);
    expect(inside(older, range)).toBe(true);
    expect(inside(hintKey('ab', 1, 1), range)).toBe(false);
  });

  it('refuse times and sequences that do not fit', () => {
    expect(() => hintKey('a', -1, 0)).toThrow();
    expect(() => hintKey('a', 1.5, 0)).toThrow();
    expect(() => hintKey('a', 1, 2 ** 32)).toThrow();
  });
});

describe('prefixEnd', () => {
  it('is the first byte string past every extension of the prefix', () => {
    expect(prefixEnd(Uint8Array.of(1, 2))).toEqual(Uint8Array.of(1, 3));
    expect(prefixEnd(Uint8Array.of(1, 0xff, 0xff))).toEqual(Uint8Array.of(2));
    expect(() => prefixEnd(Uint8Array.of(0xff))).toThrow();
  });
});
