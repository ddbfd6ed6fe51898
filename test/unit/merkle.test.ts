import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Cell } from '../../src/protocol/cell.js';
import { RingkvError } from '../../src/protocol/errors.js';
import { MAX_TOKEN, MIN_TOKEN, tokenOf } from '../../src/ring/partitioner.js';
import { rangeContains, type TokenRange } from '../../src/ring/ring.js';
import {
  DEFAULT_MAX_MERKLE_DEPTH,
  MAX_MERKLE_DEPTH,
  MERKLE_HASH_BYTES,
  MerkleTree,
  MerkleTreeBuilder,
  depthFor,
  maxDepthForFrame,
} from '../../src/node/repair/merkle.js';
import { DEFAULT_MAX_VALUE_BYTES, maxFrameBytesFor } from '../../src/protocol/limits.js';

const text = new TextEncoder();

interface Entry {
  token: bigint;
  key: Uint8Array;
  cell: Cell;
}

function entries(count: number, prefix = 'key'): Entry[] {
  return Array.from({ length: count }, (_, i) => {
    const key = text.encode(`${prefix}-${i}`);
    return {
      token: tokenOf(key),
      key,
      cell: { value: text.encode(`value-${i}`), timestamp: 1_700_000_000_000_000 + i },
    };
  });
}

const WHOLE_RING: TokenRange = { start: MIN_TOKEN, end: MIN_TOKEN };

function build(range: TokenRange, depth: number, data: readonly Entry[]): MerkleTree {
  const builder = new MerkleTreeBuilder(range, depth);
  for (const e of data) if (rangeContains(range, e.token)) builder.add(e.token, e.key, e.cell);
  return builder.build();
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** The whole ring: wide enough for any depth. */
const whole: TokenRange = { start: MIN_TOKEN, end: MIN_TOKEN };

describe('maxDepthForFrame', () => {
  it('gives the deepest tree whose serialized form fits the frame with room to spare', () => {
    for (const valueBytes of [1, 64 * 1024, 1024 * 1024, 16 * 1024 * 1024]) {
      const frame = maxFrameBytesFor(valueBytes);
      const depth = maxDepthForFrame(frame);
      const serialized = (d: number) => new MerkleTreeBuilder(whole, d).build().serialize().length;
      expect(serialized(depth)).toBeLessThan(frame - 1024);
      if (depth < MAX_MERKLE_DEPTH) expect(serialized(depth + 1)).toBeGreaterThan(frame - 4096);
    }
    // The default value limit keeps the default cap.
    expect(maxDepthForFrame(maxFrameBytesFor(DEFAULT_MAX_VALUE_BYTES))).toBeGreaterThanOrEqual(
      DEFAULT_MAX_MERKLE_DEPTH,
    );
  });
});

describe('Merkle tree over a token range', () => {
  it('equal data gives equal roots, whatever the insertion order', () => {
    const data = entries(2000);
    const a = build(WHOLE_RING, 10, data);
    const b = build(WHOLE_RING, 10, shuffled(data, 7));
    expect(Buffer.from(a.root).equals(Buffer.from(b.root))).toBe(true);
    expect(MerkleTree.diff(a, b)).toEqual([]);
    const c = build(WHOLE_RING, 10, data.slice(1));
    expect(Buffer.from(a.root).equals(Buffer.from(c.root))).toBe(false);
  });

  it('finds one differing cell in exactly one leaf, whose range holds its token', () => {
    const data = entries(5000);
    for (const victim of [0, 1234, 4999]) {
      const changed = data.map((e, i) =>
        i === victim ? { ...e, cell: { ...e.cell, value: text.encode('other') } } : e,
      );
      const a = build(WHOLE_RING, 12, data);
      const b = build(WHOLE_RING, 12, changed);
      const differing = MerkleTree.diff(a, b);
      expect(differing).toHaveLength(1);
      const token = (data[victim] as Entry).token;
      expect(rangeContains(a.leafRange(differing[0] as number), token)).toBe(true);
      expect(a.leafOf(token)).toBe(differing[0]);
    }
  });

  it('a cell missing on one replica shows as one differing leaf', () => {
    const data = entries(1000);
    const a = build(WHOLE_RING, 8, data);
    const b = build(WHOLE_RING, 8, [...data.slice(0, 500), ...data.slice(501)]);
    const differing = MerkleTree.diff(a, b);
    expect(differing).toEqual([a.leafOf((data[500] as Entry).token)]);
  });

  it('tells apart everything last write wins compares', () => {
    const key = text.encode('k');
    const token = tokenOf(key);
    const hashOf = (cell: Cell): string => {
      const b = new MerkleTreeBuilder(WHOLE_RING, 0);
      b.add(token, key, cell);
      return Buffer.from(b.build().leaves).toString('hex');
    };
    const live: Cell = { value: new Uint8Array(0), timestamp: 10 };
    const variants: Cell[] = [
      live,
      { value: null, timestamp: 10 },
      { value: new Uint8Array(0), timestamp: 11 },
      { value: new Uint8Array([0]), timestamp: 10 },
      { value: new Uint8Array(0), timestamp: 10, expiresAt: 20 },
      { value: new Uint8Array(0), timestamp: 10, expiresAt: 21 },
      { value: null, timestamp: 10, expiresAt: 20 },
    ];
    expect(new Set(variants.map(hashOf)).size).toBe(variants.length);
    expect(hashOf({ value: null, timestamp: 10 })).toBe(hashOf({ value: null, timestamp: 10 }));
  });

  it('works over a range that wraps past the maximum token', () => {
    const range = { start: MAX_TOKEN - 2n ** 40n, end: MIN_TOKEN + 2n ** 40n };
    const data: Entry[] = [];
    for (let i = 0; i < 400; i++) {
      const key = text.encode(`w-${i}`);
      // Spread evenly over the 2^41 tokens on both sides of the wrap.
      const token = BigInt.asIntN(64, range.start + 1n + (BigInt(i) * (2n ** 41n - 1n)) / 399n);
      data.push({ token, key, cell: { value: key, timestamp: i } });
    }
    expect(data.every((e) => rangeContains(range, e.token))).toBe(true);
    const a = build(range, 6, data);
    // Leaves tile the range in order, from its start across the wrap to its end.
    expect(a.leafRange(0).start).toBe(range.start);
    expect(a.leafRange(a.leafCount - 1).end).toBe(range.end);
    for (let i = 1; i < a.leafCount; i++) expect(a.leafRange(i).start).toBe(a.leafRange(i - 1).end);
    // Every leaf is used, and each cell lands in the leaf whose range holds it.
    for (const e of data) expect(rangeContains(a.leafRange(a.leafOf(e.token)), e.token)).toBe(true);
    const leafsUsed = new Set(data.map((e) => a.leafOf(e.token)));
    expect(leafsUsed.size).toBe(a.leafCount);
    // A token just outside is refused, the range's start included ((start, end]).
    expect(a.leafOf(range.start)).toBe(-1);
    expect(a.leafOf(range.end + 1n)).toBe(-1);
    expect(() =>
      new MerkleTreeBuilder(range, 6).add(0n, text.encode('x'), { value: null, timestamp: 1 }),
    ).toThrow();
    const victim = data[200] as Entry;
    const b = build(
      range,
      6,
      data.filter((e) => e !== victim),
    );
    expect(MerkleTree.diff(a, b)).toEqual([a.leafOf(victim.token)]);
  });

  it('maps every token into the leaf whose range holds it, for any range and depth', () => {
    const token = fc.bigInt({ min: MIN_TOKEN, max: MAX_TOKEN });
    fc.assert(
      fc.property(
        token,
        token,
        fc.integer({ min: 0, max: 20 }),
        fc.array(token, { maxLength: 20 }),
        (start, end, depth, tokens) => {
          const range = { start, end };
          const tree = new MerkleTreeBuilder(range, depth).build();
          expect(tree.leafRange(0).start).toBe(start);
          expect(tree.leafRange(tree.leafCount - 1).end).toBe(end);
          for (const t of [...tokens, end, BigInt.asIntN(64, start + 1n)]) {
            const leaf = tree.leafOf(t);
            expect(leaf >= 0).toBe(rangeContains(range, t));
            if (leaf >= 0) expect(rangeContains(tree.leafRange(leaf), t)).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('folds to a smaller depth exactly as it would have been built there, for any range', () => {
    const token = fc.bigInt({ min: MIN_TOKEN, max: MAX_TOKEN });
    const data = entries(400);
    fc.assert(
      fc.property(
        token,
        token,
        fc.integer({ min: 0, max: 12 }),
        fc.integer({ min: 0, max: 12 }),
        (start, end, a, b) => {
          const range = { start, end };
          const inRange = data.filter((e) => rangeContains(range, e.token));
          const deep = build(range, Math.max(a, b), inRange);
          const shallow = Math.min(a, b, deep.depth);
          expect(deep.fold(shallow).serialize()).toEqual(build(range, shallow, inRange).serialize());
        },
      ),
      { numRuns: 200 },
    );
    const tree = build(WHOLE_RING, 4, data);
    expect(tree.fold(4)).toBe(tree);
    expect(() => tree.fold(5)).toThrow(RangeError);
  });

  it('folds and keeps a tree read from a Buffer at any offset, as a decoded frame hands it over', () => {
    const tree = build(WHOLE_RING, 6, entries(200));
    const bytes = tree.serialize();
    const frame = Buffer.alloc(bytes.length + 3);
    frame.set(bytes, 3);
    const read = MerkleTree.deserialize(frame.subarray(3));
    expect(read.fold(2).serialize()).toEqual(tree.fold(2).serialize());
    // Not a view of the frame: the frame's buffer may be reused.
    frame.fill(0);
    expect(read.serialize()).toEqual(bytes);
  });

  it('makes a tree over a narrow range shallower, so no leaf is empty', () => {
    const builder = new MerkleTreeBuilder({ start: 0n, end: 5n }, 10);
    expect(builder.depth).toBe(2);
    const tree = builder.build();
    const ranges = Array.from({ length: tree.leafCount }, (_, i) => tree.leafRange(i));
    expect(ranges.map((r) => [r.start, r.end])).toEqual([
      [0n, 2n],
      [2n, 3n],
      [3n, 4n],
      [4n, 5n],
    ]);
  });

  it('the whole ring as (x, x]', () => {
    const data = entries(300);
    const range = { start: 42n, end: 42n };
    const a = build(range, 5, data);
    expect(a.leafRange(0).start).toBe(42n);
    expect(a.leafRange(31).end).toBe(42n);
    // 42 itself is the last token of the whole ring (42, 42].
    expect(a.leafOf(42n)).toBe(31);
    for (const e of data) expect(rangeContains(a.leafRange(a.leafOf(e.token)), e.token)).toBe(true);
    expect(build(range, 0, data).leafRange(0)).toEqual(range);
  });

  it('round-trips through bytes, and refuses malformed ones with a protocol error', () => {
    const range = { start: -123n, end: 9_000_000_000_000_000_000n };
    const tree = build(range, 9, entries(1000));
    const bytes = tree.serialize();
    expect(bytes.length).toBe(19 + 512 * MERKLE_HASH_BYTES);
    const back = MerkleTree.deserialize(bytes);
    expect(back.range).toEqual(range);
    expect(back.depth).toBe(9);
    expect(MerkleTree.diff(tree, back)).toEqual([]);
    expect(Buffer.from(back.root).equals(Buffer.from(tree.root))).toBe(true);
    // From inside a larger buffer, as a decoded frame hands it over.
    const framed = new Uint8Array(bytes.length + 10);
    framed.set(bytes, 5);
    expect(MerkleTree.diff(tree, MerkleTree.deserialize(framed.subarray(5, 5 + bytes.length)))).toEqual([]);

    const bad = [
      bytes.subarray(0, 10),
      bytes.subarray(0, bytes.length - 1),
      Uint8Array.from([2, ...bytes.subarray(1)]),
      Uint8Array.from([1, 21, ...bytes.subarray(2)]),
      Uint8Array.from([1, 9, 16, ...bytes.subarray(3)]),
    ];
    for (const b of bad) {
      expect(() => MerkleTree.deserialize(b)).toThrow(RingkvError);
    }
  });

  it('refuses to compare trees of different ranges or depths', () => {
    const data = entries(100);
    const a = build(WHOLE_RING, 4, data);
    expect(() => MerkleTree.diff(a, build(WHOLE_RING, 5, data))).toThrow(/shape/);
    expect(() => MerkleTree.diff(a, build({ start: 0n, end: 0n }, 4, data))).toThrow(/shape/);
  });

  it('picks a depth that leaves a few keys per leaf', () => {
    expect(depthFor(0)).toBe(0);
    expect(depthFor(4)).toBe(0);
    expect(depthFor(100)).toBe(5);
    expect(depthFor(100_000)).toBe(15);
    expect(depthFor(1e9)).toBe(DEFAULT_MAX_MERKLE_DEPTH);
    expect(depthFor(1e9, { maxDepth: 30 })).toBe(20);
    expect(depthFor(100_000, { range: { start: 0n, end: 1000n } })).toBe(9);
  });

  it('builds a tree of 100,000 cells', () => {
    const data = entries(100_000);
    const startedMs = performance.now();
    const tree = build(WHOLE_RING, depthFor(data.length), data);
    const elapsedMs = performance.now() - startedMs;
    console.log(
      `Merkle tree of 100,000 cells, depth ${tree.depth} (${tree.serialize().length} bytes): built in ${elapsedMs.toFixed(0)} ms`,
    );
    const empty = [...Array(tree.leafCount).keys()].filter((i) =>
      tree.leafHash(i).every((b) => b === 0),
    ).length;
    // ~3 keys per leaf: only a few leaves are empty.
    expect(empty).toBeLessThan(tree.leafCount / 10);
  });
});
