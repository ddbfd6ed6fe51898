/** Named limits with their unit in the name (DESIGN.md: bound everything). */
export const PROTOCOL_VERSION = 1;
export const MAX_KEY_BYTES = 64 * 1024;
/** Default value limit; a node raises it with --max-value-bytes. */
export const DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;
/** A frame must hold the largest value plus its envelope; larger frames are refused by ws itself. */
export function maxFrameBytesFor(maxValueBytes: number): number {
  return maxValueBytes + MAX_KEY_BYTES + 64 * 1024;
}
export const DEFAULT_REQUEST_TIMEOUT_MS = 2000;
export const HANDSHAKE_TIMEOUT_MS = 5000;
export const MAX_KEYSPACE_NAME_LENGTH = 48;
export const MAX_TTL_SECONDS = 20 * 365 * 24 * 3600;
/** Tombstones are kept this long before compaction may drop them (Cassandra's gc_grace_seconds). */
export const DEFAULT_GC_GRACE_SECONDS = 10 * 24 * 3600;
export const DEFAULT_MAX_HINT_WINDOW_MS = 3 * 3600 * 1000;
