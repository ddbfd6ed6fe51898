import type { StoreRange } from '../world.js';
import { allocate } from './slab.js';

/**
 * The layout of the node's one ordered key space. A one-byte prefix separates the kinds of record
 * so that each kind is a contiguous range:
 *
 *   cells  'c' | keyspace length (1 byte) | keyspace | token (8 bytes, sortable) | key bytes
 *   meta   'm' | name
 *   hints  'h' | target host id length (1 byte) | host id | created micros (8 bytes BE) | seq (4 bytes BE)
 *
 * Cells of one keyspace sort by token, then by key bytes, so a token range is one byte range and a
 * Merkle tree or a stream walks it in ring order. The token is the caller's (the partitioner's):
 * storage does not hash.
 */

const CELL_PREFIX = 0x63; // 'c'
const META_PREFIX = 0x6d; // 'm'
const HINT_PREFIX = 0x68; // 'h'

const TOKEN_BYTES = 8;
const MICROS_BYTES = 8;
const SEQ_BYTES = 4;
/** Names are stored with a one-byte length; keyspace names are far shorter (MAX_KEYSPACE_NAME_LENGTH). */
const MAX_NAME_BYTES = 255;

export const MIN_TOKEN = -(2n ** 63n);
export const MAX_TOKEN = 2n ** 63n - 1n;

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

function assertToken(token: bigint): void {
  if (token < MIN_TOKEN || token > MAX_TOKEN) throw new Error(`token ${token} is outside the int64 ring`);
}

function encodeName(name: string, what: string): Uint8Array {
  const bytes = utf8.encode(name);
  if (bytes.length === 0 || bytes.length > MAX_NAME_BYTES) {
    throw new Error(`${what} "${name}" must be 1 to ${MAX_NAME_BYTES} UTF-8 bytes, not ${bytes.length}`);
  }
  return bytes;
}

const tokenScratch = new Uint8Array(TOKEN_BYTES);
const tokenScratchView = new DataView(tokenScratch.buffer);

/** Signed int64 with the sign bit flipped, big-endian: byte order equals token order. */
function writeToken(out: Uint8Array, offset: number, token: bigint): void {
  // Through one DataView kept for the purpose: a DataView per key cost more than the write.
  tokenScratchView.setBigInt64(0, token);
  out.set(tokenScratch, offset);
  out[offset] = (out[offset] as number) ^ 0x80;
}

function readToken(bytes: Uint8Array, offset: number): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hi = view.getUint32(offset) ^ 0x80000000;
  const lo = view.getUint32(offset + 4);
  return BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo));
}

/** The smallest byte string greater than every string that starts with prefix. */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  let n = prefix.length;
  while (n > 0 && prefix[n - 1] === 0xff) n--;
  if (n === 0) throw new Error('a prefix of only 0xff bytes has no end');
  const end = prefix.slice(0, n);
  end[n - 1] = (end[n - 1] as number) + 1;
  return end;
}

// ---- cells ----------------------------------------------------------------------------------------

// Every merge and read encodes its keyspace's prefix; a node has few keyspaces, so keep them.
const keyspacePrefixes = new Map<string, Uint8Array>();
const MAX_CACHED_KEYSPACES = 1024;

function cachedKeyspacePrefix(keyspace: string): Uint8Array {
  let prefix = keyspacePrefixes.get(keyspace);
  if (prefix === undefined) {
    const name = encodeName(keyspace, 'keyspace');
    prefix = new Uint8Array(2 + name.length);
    prefix[0] = CELL_PREFIX;
    prefix[1] = name.length;
    prefix.set(name, 2);
    if (keyspacePrefixes.size >= MAX_CACHED_KEYSPACES) keyspacePrefixes.clear();
    keyspacePrefixes.set(keyspace, prefix);
  }
  return prefix;
}

/** 'c' | length | keyspace: every cell of the keyspace starts with it. A fresh copy, the caller's to keep. */
export function keyspacePrefix(keyspace: string): Uint8Array {
  return cachedKeyspacePrefix(keyspace).slice();
}

function tokenPrefix(ksPrefix: Uint8Array, token: bigint): Uint8Array {
  const out = new Uint8Array(ksPrefix.length + TOKEN_BYTES);
  out.set(ksPrefix, 0);
  writeToken(out, ksPrefix.length, token);
  return out;
}

/** The bytes are cut from a shared slab (slab.ts): pass them to storage, do not keep them. */
export function cellKey(keyspace: string, token: bigint, key: Uint8Array): Uint8Array {
  assertToken(token);
  const prefix = cachedKeyspacePrefix(keyspace);
  const out = allocate(prefix.length + TOKEN_BYTES + key.length);
  out.set(prefix, 0);
  writeToken(out, prefix.length, token);
  out.set(key, prefix.length + TOKEN_BYTES);
  return out;
}

export interface DecodedCellKey {
  keyspace: string;
  token: bigint;
  /** A view into the stored key, not a copy. */
  key: Uint8Array;
}

export function decodeCellKey(k: Uint8Array): DecodedCellKey {
  if (k[0] !== CELL_PREFIX || k.length < 2) throw new Error('not a cell key');
  const nameLength = k[1] as number;
  const tokenAt = 2 + nameLength;
  if (k.length < tokenAt + TOKEN_BYTES) throw new Error('truncated cell key');
  return {
    keyspace: utf8Decoder.decode(k.subarray(2, tokenAt)),
    token: readToken(k, tokenAt),
    key: k.subarray(tokenAt + TOKEN_BYTES),
  };
}

/** The token and key of a cell key whose keyspace the caller already knows (skips decoding the name). */
export function decodeCellKeyIn(ksPrefixLength: number, k: Uint8Array): { token: bigint; key: Uint8Array } {
  return { token: readToken(k, ksPrefixLength), key: k.subarray(ksPrefixLength + TOKEN_BYTES) };
}

/** Every cell of a keyspace. */
export function keyspaceBounds(keyspace: string): { gte: Uint8Array; lt: Uint8Array } {
  const prefix = keyspacePrefix(keyspace);
  return { gte: prefix, lt: prefixEnd(prefix) };
}

/**
 * The cells of a keyspace with token in (start, end], for a non-wrapping range (start < end).
 * A start of MIN_TOKEN means the ring's origin and includes tokens equal to it, as in Cassandra
 * (no key hashes to it, but nothing stored is left out of a whole-ring walk).
 */
export function cellRangeBounds(keyspace: string, start: bigint, end: bigint): StoreRange {
  assertToken(start);
  assertToken(end);
  if (start >= end) throw new Error(`range (${start}, ${end}] wraps: split it with splitWrapping first`);
  const prefix = keyspacePrefix(keyspace);
  return {
    gte: start === MIN_TOKEN ? prefix : tokenPrefix(prefix, start + 1n),
    lt: end === MAX_TOKEN ? prefixEnd(prefix) : tokenPrefix(prefix, end + 1n),
  };
}

/** The cells stored at exactly one token, or from one (token, key) on (exclusive) within that token. */
export function cellTokenBounds(keyspace: string, token: bigint, afterKey?: Uint8Array): StoreRange {
  assertToken(token);
  const prefix = cachedKeyspacePrefix(keyspace);
  const at = tokenPrefix(prefix, token);
  const lt = prefixEnd(at);
  return afterKey === undefined ? { gte: at, lt } : { gt: cellKey(keyspace, token, afterKey), lt };
}

export type TokenRange = readonly [start: bigint, end: bigint];

/**
 * A range (start, end] split into non-wrapping pieces, in ring order from start. start >= end
 * wraps past the maximum token; (x, x] is the whole ring.
 */
export function splitWrapping(start: bigint, end: bigint): TokenRange[] {
  assertToken(start);
  assertToken(end);
  if (start < end) return [[start, end]];
  const pieces: TokenRange[] = [];
  if (start < MAX_TOKEN) pieces.push([start, MAX_TOKEN]);
  if (end > MIN_TOKEN) pieces.push([MIN_TOKEN, end]);
  return pieces;
}

// ---- meta -----------------------------------------------------------------------------------------

export function metaKey(name: string): Uint8Array {
  const bytes = utf8.encode(name);
  const out = new Uint8Array(1 + bytes.length);
  out[0] = META_PREFIX;
  out.set(bytes, 1);
  return out;
}

// ---- hints ----------------------------------------------------------------------------------------

/** Every hint, for any target. */
export function hintPrefix(): Uint8Array {
  return Uint8Array.of(HINT_PREFIX);
}

/** Every hint for one target, oldest first. */
export function hintTargetPrefix(target: string): Uint8Array {
  const id = encodeName(target, 'host id');
  const out = new Uint8Array(2 + id.length);
  out[0] = HINT_PREFIX;
  out[1] = id.length;
  out.set(id, 2);
  return out;
}

export function hintKey(target: string, createdMicros: number, seq: number): Uint8Array {
  if (!Number.isSafeInteger(createdMicros) || createdMicros < 0) {
    throw new Error(`hint creation time ${createdMicros} must be a non-negative integer of microseconds`);
  }
  if (!Number.isInteger(seq) || seq < 0 || seq > 0xffffffff)
    throw new Error(`hint sequence ${seq} is not a uint32`);
  const prefix = hintTargetPrefix(target);
  const out = new Uint8Array(prefix.length + MICROS_BYTES + SEQ_BYTES);
  out.set(prefix, 0);
  const view = new DataView(out.buffer);
  view.setBigUint64(prefix.length, BigInt(createdMicros));
  view.setUint32(prefix.length + MICROS_BYTES, seq);
  return out;
}

export interface DecodedHintKey {
  target: string;
  createdMicros: number;
  seq: number;
}

export function decodeHintKey(k: Uint8Array): DecodedHintKey {
  if (k[0] !== HINT_PREFIX || k.length < 2) throw new Error('not a hint key');
  const idLength = k[1] as number;
  const at = 2 + idLength;
  if (k.length !== at + MICROS_BYTES + SEQ_BYTES) throw new Error('malformed hint key');
  const view = new DataView(k.buffer, k.byteOffset, k.byteLength);
  return {
    target: utf8Decoder.decode(k.subarray(2, at)),
    createdMicros: Number(view.getBigUint64(at)),
    seq: view.getUint32(at + MICROS_BYTES),
  };
}
