import { RingkvError } from './errors.js';

/** Named limits with their unit in the name (DESIGN.md: bound everything). */
export const PROTOCOL_VERSION = 1;
export const MAX_KEY_BYTES = 64 * 1024;
/** Default value limit; a node raises it with --max-value-bytes. */
export const DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;
/**
 * The highest a node's value limit may be raised. A client takes frames that large from any node:
 * it learns a node's own limit only from its welcome, after its connection's frame limit is set,
 * and a node's answers are bounded by that node's limit anyway.
 */
export const MAX_VALUE_BYTES_CEILING = 64 * 1024 * 1024;
/** A frame must hold the largest value plus its envelope; larger frames are refused by ws itself. */
export function maxFrameBytesFor(maxValueBytes: number): number {
  return maxValueBytes + MAX_KEY_BYTES + 64 * 1024;
}
/**
 * What the cells of one message of many (a page of a range, a batch of replica writes or hints)
 * may add up to, as cellMessageBytes counts them, unless its first cell alone is larger. Any node's
 * frames hold this with room to spare (maxFrameBytesFor is at least 128 KiB), so a batch fits
 * whatever the values: a fixed count of cells did not once values were a few KiB.
 */
export const MAX_CELLS_MESSAGE_BYTES = 96 * 1024;

/**
 * A key past MAX_KEY_BYTES, or a value past a node's limit, said the same by the coordinator that
 * refuses it and by a client that refuses to send it; undefined when within.
 */
export function keyTooLarge(key: Uint8Array): RingkvError | undefined {
  if (key.length <= MAX_KEY_BYTES) return undefined;
  return new RingkvError('INVALID_REQUEST', `the key is ${key.length} bytes; the limit is ${MAX_KEY_BYTES}`);
}

export function valueTooLarge(value: Uint8Array | null, maxValueBytes: number): RingkvError | undefined {
  if (value === null || value.length <= maxValueBytes) return undefined;
  return new RingkvError(
    'INVALID_REQUEST',
    `the value is ${value.length} bytes; the limit is ${maxValueBytes} (start nodes with --max-value-bytes to raise it)`,
  );
}

/** A cell's bytes in a message: its key and value, and a bound on what encoding them adds. */
export function cellMessageBytes(key: Uint8Array, value: Uint8Array | null): number {
  return key.length + (value?.length ?? 0) + 96;
}

/**
 * Splits cells into batches of at most maxCells whose cellMessageBytes add up to at most
 * MAX_CELLS_MESSAGE_BYTES, but for a batch of one larger cell. Order is kept.
 */
export function cellBatches<T extends { key: Uint8Array; cell: { value: Uint8Array | null } }>(
  cells: readonly T[],
  maxCells: number,
): T[][] {
  const batches: T[][] = [];
  let batch: T[] = [];
  let bytes = 0;
  for (const c of cells) {
    const size = cellMessageBytes(c.key, c.cell.value);
    if (batch.length > 0 && (batch.length >= maxCells || bytes + size > MAX_CELLS_MESSAGE_BYTES)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(c);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 2000;
/**
 * The longest a client waits for one request: a day, past any repair of a range, and within what
 * a timer can count (about 24.8 days; a longer one fires at once).
 */
export const MAX_REQUEST_TIMEOUT_MS = 86_400_000;
/** The latest a read's speculative retry may go out, ms: past this a replica is not merely slow. */
export const MAX_SPECULATIVE_RETRY_MS = 60_000;
/** A write timestamp, in µs since the epoch, must be an exact integer in JavaScript and msgpack. */
export const MAX_TIMESTAMP_MICROS = Number.MAX_SAFE_INTEGER;
export const HANDSHAKE_TIMEOUT_MS = 5000;
export const MAX_KEYSPACE_NAME_LENGTH = 48;
/** Replicas of a keyspace, in all (simple) or per data center (network). */
export const MAX_REPLICATION_FACTOR = 16;
/** Letters, digits and _, starting with a letter, as a CQL identifier; ASCII, so bytes and characters agree. */
export const KEYSPACE_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]*$/;

/** Data center and rack names, as gossip carries them. */
export const MAX_LOCATION_LENGTH = 64;

/**
 * What is wrong with a data center or rack name; undefined when nothing. No commas, colons or
 * spaces: `keyspace create --dc DC:N,DC:N` could not name such a data center.
 */
export function locationNameProblem(what: 'data center' | 'rack', name: string): string | undefined {
  if (name.length >= 1 && name.length <= MAX_LOCATION_LENGTH && !/[\s,:]/.test(name)) return undefined;
  return `${what} name "${name}" is not valid: use 1 to ${MAX_LOCATION_LENGTH} characters without spaces, commas or colons`;
}

/** What is wrong with a keyspace name, for a usage error before anything is sent; undefined when nothing. */
export function keyspaceNameProblem(name: string): string | undefined {
  if (name.length <= MAX_KEYSPACE_NAME_LENGTH && KEYSPACE_NAME_PATTERN.test(name)) return undefined;
  return `keyspace name "${name}" is not valid: use letters, digits and _, starting with a letter, at most ${MAX_KEYSPACE_NAME_LENGTH} characters`;
}
export const MAX_TTL_SECONDS = 20 * 365 * 24 * 3600;
/** Tombstones are kept this long before compaction may drop them (Cassandra's gc_grace_seconds). */
export const DEFAULT_GC_GRACE_SECONDS = 10 * 24 * 3600;
export const DEFAULT_MAX_HINT_WINDOW_MS = 3 * 3600 * 1000;
