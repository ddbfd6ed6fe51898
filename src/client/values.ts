import { isUtf8 } from 'node:buffer';
import type { GetResult, ReadResult } from './api.js';

/** How keys and values given as text or bytes travel, and how they are shown back. */

/**
 * Text as UTF-8 bytes. Buffer.from, not TextEncoder: on Node 20 it is several times faster for the
 * short keys every request carries; the view keeps results plain Uint8Arrays.
 */
export function toBytes(v: string | Uint8Array): Uint8Array {
  if (typeof v !== 'string') return v;
  const b = Buffer.from(v, 'utf8');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function displayKey(k: string | Uint8Array): string {
  return typeof k === 'string' ? k : Buffer.from(k).toString('hex');
}

/** UTF-8 text when the bytes are valid UTF-8, else base64, so JSON output never mangles binary values. */
export function showValue(v: Uint8Array): { value: string; valueEncoding: 'utf8' | 'base64' } {
  const bytes = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return isUtf8(bytes)
    ? { value: bytes.toString('utf8'), valueEncoding: 'utf8' }
    : { value: bytes.toString('base64'), valueEncoding: 'base64' };
}

/** A read as CLI.md's JSON shows it: the value as text or base64, the fields in the same order. */
export function shownRead(read: ReadResult): GetResult {
  const { key, keyspace, cl, found, value, timestamp, coordinator, replicas, repaired, trace } = read;
  const got = { key, keyspace, cl, found } as GetResult;
  if (value !== undefined) Object.assign(got, showValue(value));
  if (timestamp !== undefined) got.timestamp = timestamp;
  got.coordinator = coordinator;
  got.replicas = replicas;
  got.repaired = repaired;
  if (trace) got.trace = trace;
  return got;
}

export type ReadDocument = Omit<GetResult, 'value' | 'timestamp'> & {
  value?: string | null;
  timestamp?: number | null;
};

/**
 * A read as `get --json` prints it (CLI.md): `value` and `timestamp` are there also when the key
 * is not found, as null, so that a script can read them without checking which shape it got.
 */
export function readDocument(r: GetResult): ReadDocument {
  if (r.found) return r;
  const { key, keyspace, cl, found, ...rest } = r;
  return { key, keyspace, cl, found, value: null, timestamp: null, ...rest };
}
