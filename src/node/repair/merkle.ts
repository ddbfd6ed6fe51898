import crypto from 'node:crypto';
import type { Cell } from '../../protocol/cell.js';
import { RingkvError } from '../../protocol/errors.js';
import { MAX_TOKEN, MIN_TOKEN } from '../../ring/partitioner.js';
import type { TokenRange } from '../../ring/ring.js';

/**
 * A Merkle tree over the cells of a token range (start, end], for anti-entropy repair: each
 * replica builds one over the same range, as deep as its cells call for, the trees are folded to
 * one depth and compared, and only the sub-ranges under differing leaves are streamed.
 *
 * The range is cut into 2^depth leaves of (nearly) equal token width. A leaf's hash is the XOR of
 * its cells' hashes, so the order in which a replica scans its cells does not matter, and a replica
 * never holds two cells for one key, so nothing cancels out. The leaves travel whole (8 bytes
 * each), so the root is one digest of them, for a quick "all equal" check, rather than a chain of
 * pairwise hashes that nobody would walk.
 */

/** Bytes of a cell hash and of a leaf: 2^-64 odds that a leaf hides a difference. */
export const MERKLE_HASH_BYTES = 8;
/** The deepest tree built: 2^20 leaves, 8 MiB. */
export const MAX_MERKLE_DEPTH = 20;
/** What depthFor aims at: a differing leaf streams a handful of keys, not a slice of the range. */
export const TARGET_KEYS_PER_LEAF = 4;
/**
 * depthFor's default cap: 2^16 leaves serialize to 512 KiB, inside one frame at the default value
 * limit; a range with more keys than 4 * 2^16 gets fuller leaves instead of a larger tree.
 */
export const DEFAULT_MAX_MERKLE_DEPTH = 16;

const FORMAT_VERSION = 1;
const HEADER_BYTES = 3 + 8 + 8;
const RING_SIZE = 1n << 64n;

/**
 * The deepest tree whose serialized form fits a frame of `frameBytes` with room for its envelope:
 * a node that takes smaller values (--max-value-bytes) takes smaller frames, and so shallower trees.
 */
export function maxDepthForFrame(frameBytes: number): number {
  let depth = MAX_MERKLE_DEPTH;
  while (depth > 0 && HEADER_BYTES + 2 ** depth * MERKLE_HASH_BYTES + 4096 > frameBytes) depth--;
  return depth;
}

/** The number of tokens in (start, end]; start >= end wraps, start === end is the whole ring. */
export function rangeWidth(range: TokenRange): bigint {
  return range.start < range.end ? range.end - range.start : range.end - range.start + RING_SIZE;
}

/** The deepest tree whose every leaf still holds at least one token of the range. */
function maxDepthForWidth(width: bigint): number {
  return width.toString(2).length - 1;
}

/**
 * A depth so that leaves hold about TARGET_KEYS_PER_LEAF keys, capped at `maxDepth` (default
 * DEFAULT_MAX_MERKLE_DEPTH, at most MAX_MERKLE_DEPTH) and, given the range, at its width.
 */
export function depthFor(
  estimatedKeys: number,
  options: { range?: TokenRange; maxDepth?: number } = {},
): number {
  const maxDepth = Math.min(options.maxDepth ?? DEFAULT_MAX_MERKLE_DEPTH, MAX_MERKLE_DEPTH);
  const leaves = Math.max(1, estimatedKeys / TARGET_KEYS_PER_LEAF);
  let depth = Math.min(maxDepth, Math.max(0, Math.ceil(Math.log2(leaves))));
  if (options.range !== undefined) depth = Math.min(depth, maxDepthForWidth(rangeWidth(options.range)));
  return depth;
}

function assertRange(range: TokenRange): void {
  for (const t of [range.start, range.end]) {
    if (t < MIN_TOKEN || t > MAX_TOKEN)
      throw new RingkvError('INVALID_REQUEST', `token ${t} is outside the ring`);
  }
}

/**
 * The hash of one cell under its key: everything last-write-wins compares (timestamp, value or
 * tombstone, expiry), so two replicas agree on a hash exactly when they hold the same cell.
 */
export function cellHash(key: Uint8Array, cell: Cell): Uint8Array {
  const valueLength = cell.value?.length ?? 0;
  const input = new Uint8Array(CELL_HEADER_BYTES + key.length + valueLength);
  const header = new DataView(input.buffer);
  header.setUint32(0, key.length);
  header.setUint8(4, cell.value === null ? 0 : 1);
  // Timestamps are integer microseconds below 2^53: exact as float64.
  header.setFloat64(5, cell.timestamp);
  header.setUint8(13, cell.expiresAt === undefined ? 0 : 1);
  header.setFloat64(14, cell.expiresAt ?? 0);
  header.setUint32(22, valueLength);
  input.set(key, CELL_HEADER_BYTES);
  if (cell.value !== null) input.set(cell.value, CELL_HEADER_BYTES + key.length);
  return sha256(input).subarray(0, MERKLE_HASH_BYTES);
}

const CELL_HEADER_BYTES = 4 + 1 + 8 + 1 + 8 + 4;

/** One-shot hashing (Node >= 20.12) is about twice as fast as a Hash object per cell. */
function sha256(data: Uint8Array): Uint8Array {
  return typeof crypto.hash === 'function'
    ? crypto.hash('sha256', data, 'buffer')
    : crypto.createHash('sha256').update(data).digest();
}

/** Maps tokens of a range onto leaves, via their unsigned distance past the range's start. */
class LeafLayout {
  readonly width: bigint;
  readonly leafCount: number;

  constructor(
    readonly range: TokenRange,
    readonly depth: number,
  ) {
    this.width = rangeWidth(range);
    this.leafCount = 2 ** depth;
  }

  /** The leaf holding `token`, or -1 when the token is not in the range. */
  leafOf(token: bigint): number {
    // Distance past start in (0, 2^64]: on the whole ring (x, x], x itself is the last token.
    const offset = BigInt.asUintN(64, token - this.range.start) || RING_SIZE;
    if (offset > this.width) return -1;
    return Number(((offset - 1n) << BigInt(this.depth)) / this.width);
  }

  /** Leaf i holds offsets (boundary(i), boundary(i + 1)]: boundary(i) = ceil(i * width / leafCount). */
  private boundary(i: number): bigint {
    const count = BigInt(this.leafCount);
    return (BigInt(i) * this.width + count - 1n) / count;
  }

  leafRange(i: number): TokenRange {
    if (!Number.isInteger(i) || i < 0 || i >= this.leafCount) {
      throw new RangeError(`leaf ${i} is not in a tree of ${this.leafCount} leaves`);
    }
    return {
      start: BigInt.asIntN(64, this.range.start + this.boundary(i)),
      end: BigInt.asIntN(64, this.range.start + this.boundary(i + 1)),
    };
  }
}

/** Accumulates cells one at a time (a replica scans its range once) into a MerkleTree. */
export class MerkleTreeBuilder {
  /** The depth built: the one asked for, lowered for a range too narrow to give every leaf a token. */
  readonly depth: number;
  private readonly layout: LeafLayout;
  private readonly leaves: Uint8Array;
  private cells = 0;
  private built = false;

  constructor(range: TokenRange, depth: number) {
    assertRange(range);
    if (!Number.isInteger(depth) || depth < 0 || depth > MAX_MERKLE_DEPTH) {
      throw new RingkvError('INVALID_REQUEST', `Merkle depth must be 0..${MAX_MERKLE_DEPTH}, got ${depth}`);
    }
    this.depth = Math.min(depth, maxDepthForWidth(rangeWidth(range)));
    this.layout = new LeafLayout({ start: range.start, end: range.end }, this.depth);
    this.leaves = new Uint8Array(this.layout.leafCount * MERKLE_HASH_BYTES);
  }

  /** Add one cell; its token must lie in the range. Each key at most once. */
  add(token: bigint, key: Uint8Array, cell: Cell): void {
    if (this.built) throw new Error('MerkleTreeBuilder.add after build');
    const leaf = this.layout.leafOf(token);
    if (leaf < 0) {
      throw new Error(
        `token ${token} is outside the tree's range (${this.layout.range.start}, ${this.layout.range.end}]`,
      );
    }
    const hash = cellHash(key, cell);
    const at = leaf * MERKLE_HASH_BYTES;
    for (let b = 0; b < MERKLE_HASH_BYTES; b++) {
      this.leaves[at + b] = (this.leaves[at + b] as number) ^ (hash[b] as number);
    }
    this.cells++;
  }

  /** Cells added so far. */
  get cellCount(): number {
    return this.cells;
  }

  build(): MerkleTree {
    this.built = true;
    return new MerkleTree(this.layout.range, this.depth, this.leaves);
  }
}

export class MerkleTree {
  readonly range: TokenRange;
  readonly depth: number;
  /** leafCount hashes of MERKLE_HASH_BYTES each, leaf 0 first (nearest the range's start). */
  readonly leaves: Uint8Array;
  private readonly layout: LeafLayout;
  private rootHash: Uint8Array | undefined;

  /** Use MerkleTreeBuilder or deserialize. */
  constructor(range: TokenRange, depth: number, leaves: Uint8Array) {
    assertRange(range);
    this.layout = new LeafLayout(range, depth);
    if (
      depth > maxDepthForWidth(this.layout.width) ||
      leaves.length !== this.layout.leafCount * MERKLE_HASH_BYTES
    ) {
      throw new Error(
        `Merkle tree of depth ${depth} over a range of width ${this.layout.width} with ${leaves.length} leaf bytes`,
      );
    }
    this.range = this.layout.range;
    this.depth = depth;
    this.leaves = leaves;
  }

  get leafCount(): number {
    return this.layout.leafCount;
  }

  /** A digest of the range, depth and all leaves: equal roots mean nothing to repair. */
  get root(): Uint8Array {
    this.rootHash ??= sha256(this.serialize()).subarray(0, 16);
    return this.rootHash;
  }

  leafHash(i: number): Uint8Array {
    this.layout.leafRange(i);
    return this.leaves.subarray(i * MERKLE_HASH_BYTES, (i + 1) * MERKLE_HASH_BYTES);
  }

  /** The token range (start, end] under leaf i: what to stream when that leaf differs. */
  leafRange(i: number): TokenRange {
    return this.layout.leafRange(i);
  }

  /** The leaf holding `token`, or -1 when the token is not in the tree's range. */
  leafOf(token: bigint): number {
    return this.layout.leafOf(token);
  }

  /**
   * The same tree at a smaller depth: leaf j of depth d - 1 covers exactly leaves 2j and 2j + 1 of
   * depth d (leafOf floors a distance scaled by 2^d, and halving a floor floors the half), and a
   * leaf's hash is the XOR of its cells', so a parent is the XOR of its two children.
   */
  fold(depth: number): MerkleTree {
    if (!Number.isInteger(depth) || depth < 0 || depth > this.depth)
      throw new RangeError(`cannot fold a tree of depth ${this.depth} to depth ${depth}`);
    if (depth === this.depth) return this;
    // Each leaf of the folded tree XORs a run of 2^(this.depth - depth) leaves, in one pass and
    // 32 bits at a time (the XOR of bytes is the bytes of the XOR).
    const lanes = MERKLE_HASH_BYTES / 4;
    // A copy when unaligned: new Uint8Array, since a Buffer's slice() is a view like subarray().
    const leaves = this.leaves.byteOffset % 4 === 0 ? this.leaves : new Uint8Array(this.leaves);
    const from = new Uint32Array(leaves.buffer, leaves.byteOffset, leaves.length / 4);
    const to = new Uint32Array((2 ** depth * MERKLE_HASH_BYTES) / 4);
    const shift = this.depth - depth;
    for (let leaf = 0; leaf < this.leafCount; leaf++) {
      const at = (leaf >>> shift) * lanes;
      for (let l = 0; l < lanes; l++)
        to[at + l] = (to[at + l] as number) ^ (from[leaf * lanes + l] as number);
    }
    return new MerkleTree(this.range, depth, new Uint8Array(to.buffer));
  }

  sameShape(other: MerkleTree): boolean {
    return (
      this.range.start === other.range.start &&
      this.range.end === other.range.end &&
      this.depth === other.depth
    );
  }

  serialize(): Uint8Array {
    const out = new Uint8Array(HEADER_BYTES + this.leaves.length);
    out.set(this.header(), 0);
    out.set(this.leaves, HEADER_BYTES);
    return out;
  }

  /** Parse a tree from the wire; malformed input is a PROTOCOL_ERROR, never a crash. */
  static deserialize(bytes: Uint8Array): MerkleTree {
    if (bytes.length < HEADER_BYTES) throw malformed(`${bytes.length} bytes is shorter than its header`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const version = view.getUint8(0);
    const depth = view.getUint8(1);
    const hashBytes = view.getUint8(2);
    if (version !== FORMAT_VERSION) throw malformed(`unknown format ${version}`);
    if (hashBytes !== MERKLE_HASH_BYTES)
      throw malformed(`${hashBytes}-byte hashes, expected ${MERKLE_HASH_BYTES}`);
    if (depth > MAX_MERKLE_DEPTH) throw malformed(`depth ${depth} exceeds ${MAX_MERKLE_DEPTH}`);
    const range = { start: view.getBigInt64(3), end: view.getBigInt64(11) };
    if (depth > maxDepthForWidth(rangeWidth(range)))
      throw malformed(`depth ${depth} is too deep for its range`);
    const expected = HEADER_BYTES + 2 ** depth * MERKLE_HASH_BYTES;
    if (bytes.length !== expected) throw malformed(`${bytes.length} bytes, expected ${expected}`);
    // A copy: the tree must not alias a frame buffer that may be reused (new Uint8Array, since
    // the bytes may be a Buffer, whose slice() is a view).
    return new MerkleTree(range, depth, new Uint8Array(bytes.subarray(HEADER_BYTES)));
  }

  /**
   * Indexes of the leaves whose hashes differ, ascending. Both trees must cover the same range at
   * the same depth; trees from a peer that do not are a PROTOCOL_ERROR.
   */
  static diff(a: MerkleTree, b: MerkleTree): number[] {
    if (!a.sameShape(b)) {
      throw new RingkvError(
        'PROTOCOL_ERROR',
        `Merkle trees differ in shape: (${a.range.start}, ${a.range.end}] depth ${a.depth} vs (${b.range.start}, ${b.range.end}] depth ${b.depth}`,
      );
    }
    const differing: number[] = [];
    for (let leaf = 0, at = 0; leaf < a.leafCount; leaf++, at += MERKLE_HASH_BYTES) {
      for (let k = 0; k < MERKLE_HASH_BYTES; k++) {
        if (a.leaves[at + k] !== b.leaves[at + k]) {
          differing.push(leaf);
          break;
        }
      }
    }
    return differing;
  }

  private header(): Uint8Array {
    const header = new DataView(new ArrayBuffer(HEADER_BYTES));
    header.setUint8(0, FORMAT_VERSION);
    header.setUint8(1, this.depth);
    header.setUint8(2, MERKLE_HASH_BYTES);
    header.setBigInt64(3, this.range.start);
    header.setBigInt64(11, this.range.end);
    return new Uint8Array(header.buffer);
  }
}

function malformed(reason: string): RingkvError {
  return new RingkvError('PROTOCOL_ERROR', `malformed Merkle tree: ${reason}`);
}
