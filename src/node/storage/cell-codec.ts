import { CELL_FORMAT_LWW, type Cell } from '../../protocol/cell.js';
import { RingkvError } from '../../protocol/errors.js';
import { allocate } from './slab.js';

/**
 * A stored last-write-wins cell:
 *
 *   format tag (1 byte, CELL_FORMAT_LWW) | flags (1 byte) | timestamp (int64 BE micros)
 *   | expiresAt (int64 BE micros, only with FLAG_EXPIRES) | value bytes (the rest; none for a tombstone)
 *
 * The tag comes first so that another kind of keyspace (version vectors with siblings) can store
 * its own format beside this one and be told apart on read.
 */

const FLAG_TOMBSTONE = 0x01;
const FLAG_EXPIRES = 0x02;
const KNOWN_FLAGS = FLAG_TOMBSTONE | FLAG_EXPIRES;
const HEADER_BYTES = 2 + 8;

function writeMicros(out: Uint8Array, offset: number, micros: number, what: string): void {
  if (!Number.isSafeInteger(micros)) throw new Error(`${what} ${micros} is not an integer of microseconds`);
  // Two 32-bit halves written byte by byte: no bigint, and no DataView to allocate per cell.
  const hi = Math.floor(micros / 0x1_0000_0000);
  const lo = micros - hi * 0x1_0000_0000;
  out[offset] = hi >>> 24;
  out[offset + 1] = hi >>> 16;
  out[offset + 2] = hi >>> 8;
  out[offset + 3] = hi;
  out[offset + 4] = lo >>> 24;
  out[offset + 5] = lo >>> 16;
  out[offset + 6] = lo >>> 8;
  out[offset + 7] = lo;
}

function readMicros(view: DataView, offset: number): number {
  return view.getInt32(offset) * 0x1_0000_0000 + view.getUint32(offset + 4);
}

/** The bytes are cut from a shared slab (slab.ts): hand them to storage, do not keep them. */
export function encodeCell(cell: Cell): Uint8Array {
  const value = cell.value;
  const expires = cell.expiresAt !== undefined;
  const size = HEADER_BYTES + (expires ? 8 : 0) + (value === null ? 0 : value.length);
  const out = allocate(size);
  out[0] = CELL_FORMAT_LWW;
  out[1] = (value === null ? FLAG_TOMBSTONE : 0) | (expires ? FLAG_EXPIRES : 0);
  writeMicros(out, 2, cell.timestamp, 'timestamp');
  let at = HEADER_BYTES;
  if (cell.expiresAt !== undefined) {
    writeMicros(out, at, cell.expiresAt, 'expiry');
    at += 8;
  }
  if (value !== null) out.set(value, at);
  return out;
}

function corrupt(message: string): RingkvError {
  return new RingkvError('SERVER_ERROR', `stored cell is unreadable: ${message}`);
}

/** The value is a view into `bytes`, not a copy: the caller owns `bytes` and must not reuse it. */
export function decodeCell(bytes: Uint8Array): Cell {
  if (bytes.length < 1) throw corrupt('empty');
  const tag = bytes[0] as number;
  if (tag !== CELL_FORMAT_LWW) throw corrupt(`unknown format tag ${tag}`);
  if (bytes.length < HEADER_BYTES) throw corrupt(`${bytes.length} bytes is shorter than the header`);
  const flags = bytes[1] as number;
  if ((flags & ~KNOWN_FLAGS) !== 0) throw corrupt(`unknown flags 0x${flags.toString(16)}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const timestamp = readMicros(view, 2);
  let at = HEADER_BYTES;
  let expiresAt: number | undefined;
  if ((flags & FLAG_EXPIRES) !== 0) {
    if (bytes.length < at + 8) throw corrupt('truncated expiry');
    expiresAt = readMicros(view, at);
    at += 8;
  }
  let value: Uint8Array | null;
  if ((flags & FLAG_TOMBSTONE) !== 0) {
    if (bytes.length !== at) throw corrupt('a tombstone carries a value');
    value = null;
  } else {
    value = bytes.subarray(at);
  }
  return expiresAt === undefined ? { value, timestamp } : { value, timestamp, expiresAt };
}
