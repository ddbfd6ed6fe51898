import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RingkvError } from '../../../src/protocol/errors.js';
import { MAX_TOKEN, MIN_TOKEN } from '../../../src/ring/partitioner.js';
import { TokenRing, rangeContains, rangeFraction, withoutTokenClashes } from '../../../src/ring/ring.js';
import { node, ringArb, tokenArb } from './arbitraries.js';

const a = node('a', [100n, -50n]);
const b = node('b', [0n]);
const c = node('c', [500n]);

describe('TokenRing', () => {
  const ring = new TokenRing([a, b, c]);

  it('keeps tokens sorted and knows its nodes', () => {
    expect(ring.tokens()).toEqual([-50n, 0n, 100n, 500n]);
    expect(ring.size).toBe(3);
    expect(ring.tokenCount).toBe(4);
    expect(ring.node('b')).toBe(b);
    expect(ring.node('zz')).toBeUndefined();
    expect(
      ring
        .nodes()
        .map((n) => n.hostId)
        .sort(),
    ).toEqual(['a', 'b', 'c']);
  });

  it('gives a token to the first node token at or after it, wrapping past the last', () => {
    expect(ring.firstIndexAtOrAfter(-50n)).toBe(0);
    expect(ring.firstIndexAtOrAfter(-49n)).toBe(1);
    expect(ring.firstIndexAtOrAfter(500n)).toBe(3);
    expect(ring.firstIndexAtOrAfter(501n)).toBe(0);
    expect(ring.firstIndexAtOrAfter(MAX_TOKEN)).toBe(0);
    expect(ring.ownerOf(1n)).toBe(a);
    expect(ring.ownerOf(MAX_TOKEN)).toBe(a);
    expect(ring.ownerOf(MIN_TOKEN + 1n)).toBe(a);
    expect(ring.ownerOf(400n)).toBe(c);
  });

  it('lists ranges as (previous token, token], the first wrapping', () => {
    expect(ring.ranges().map((r) => [r.start, r.end, r.owner.hostId])).toEqual([
      [500n, -50n, 'a'],
      [-50n, 0n, 'b'],
      [0n, 100n, 'a'],
      [100n, 500n, 'c'],
    ]);
    expect(ring.primaryRanges('a')).toEqual([
      { start: 500n, end: -50n },
      { start: 0n, end: 100n },
    ]);
  });

  it('has one whole-ring range when there is one token', () => {
    const one = new TokenRing([node('x', [42n])]);
    const [range] = one.ranges();
    expect(range).toMatchObject({ start: 42n, end: 42n });
    expect(rangeFraction(range!)).toBe(1);
    expect(rangeContains(range!, 42n)).toBe(true);
    expect(rangeContains(range!, MIN_TOKEN + 7n)).toBe(true);
  });

  it('changes only by making a new ring', () => {
    const d = node('d', [200n]);
    const bigger = ring.withNode(d);
    expect(bigger.tokens()).toEqual([-50n, 0n, 100n, 200n, 500n]);
    expect(ring.tokens()).toEqual([-50n, 0n, 100n, 500n]);
    expect(bigger.withoutNode('d').tokens()).toEqual(ring.tokens());
    const moved = ring.withNode(node('b', [300n]));
    expect(moved.size).toBe(3);
    expect(moved.ownerOf(250n).hostId).toBe('b');
  });

  it('refuses rings that would be ambiguous', () => {
    const invalid = (f: () => unknown): void => {
      expect(f).toThrow(RingkvError);
      try {
        f();
      } catch (e) {
        expect((e as RingkvError).code).toBe('INVALID_REQUEST');
      }
    };
    invalid(() => new TokenRing([a, node('x', [100n])]));
    invalid(() => new TokenRing([a, node('a', [7n])]));
    invalid(() => new TokenRing([node('x', [MIN_TOKEN])]));
    invalid(() => new TokenRing([node('x', [])]));
  });

  it('says an empty ring has no owner', () => {
    const empty = new TokenRing([]);
    expect(empty.size).toBe(0);
    expect(empty.ranges()).toEqual([]);
    expect(() => empty.ownerOf(0n)).toThrow(RingkvError);
  });

  it('places every token in exactly one range, the one of its owner', () => {
    fc.assert(
      fc.property(ringArb(6), tokenArb, (r, token) => {
        const holding = r.ranges().filter((range) => rangeContains(range, token));
        expect(holding).toHaveLength(1);
        expect(holding[0]!.owner).toBe(r.ownerOf(token));
      }),
    );
  });

  it('splits the whole ring into its ranges', () => {
    fc.assert(
      fc.property(ringArb(6), (r) => {
        const total = r.ranges().reduce((sum, range) => sum + rangeFraction(range), 0);
        expect(total).toBeCloseTo(1, 9);
      }),
    );
  });
});

describe('withoutTokenClashes', () => {
  it('keeps the node with the smaller host id when two claim a token', () => {
    const { kept, clashing } = withoutTokenClashes([
      node('b', [10n, 20n]),
      node('a', [20n, 30n]),
      node('c', [40n]),
    ]);
    expect(kept.map((n) => n.hostId)).toEqual(['a', 'c']);
    expect(clashing.map((n) => n.hostId)).toEqual(['b']);
  });

  it('leaves out nodes that claim a token already taken, or the same token twice', () => {
    const { kept, clashing } = withoutTokenClashes(
      [node('a', [5n]), node('b', [7n, 7n]), node('c', [9n])],
      [9n],
    );
    expect(kept.map((n) => n.hostId)).toEqual(['a']);
    expect(clashing.map((n) => n.hostId)).toEqual(['b', 'c']);
  });
});
