/**
 * A cell is the stored state of one key: a value or a tombstone, with the write timestamp in
 * microseconds since the epoch. The format tag leaves room for another kind of keyspace (version
 * vectors with siblings) beside last-write-wins.
 */
export interface Cell {
  /** null is a tombstone. */
  value: Uint8Array | null;
  /** Microseconds since the epoch. */
  timestamp: number;
  /** Microseconds since the epoch after which a live value reads as deleted; absent: never. */
  expiresAt?: number | undefined;
}

export const CELL_FORMAT_LWW = 1;

export function isTombstone(cell: Cell): boolean {
  return cell.value === null;
}

/** A live value past its TTL reads as a tombstone written at its expiry. */
export function isLive(cell: Cell, nowMicros: number): boolean {
  return cell.value !== null && (cell.expiresAt === undefined || cell.expiresAt > nowMicros);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/**
 * Last write wins (DESIGN.md): the higher timestamp wins; on equal timestamps a tombstone beats a
 * live value, and between live values the lexicographically larger bytes win, then the later
 * expiry. Returns > 0 when a wins, < 0 when b wins, 0 when they are the same cell.
 */
export function compareCells(a: Cell, b: Cell): number {
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp ? 1 : -1;
  if (a.value === null || b.value === null) {
    if (a.value === null && b.value === null) return 0;
    return a.value === null ? 1 : -1;
  }
  const byValue = compareBytes(a.value, b.value);
  if (byValue !== 0) return byValue;
  return (a.expiresAt ?? Infinity) === (b.expiresAt ?? Infinity)
    ? 0
    : (a.expiresAt ?? Infinity) > (b.expiresAt ?? Infinity)
      ? 1
      : -1;
}

export type ReconcileReason = 'only' | 'timestamp' | 'tombstone-tiebreak' | 'value-tiebreak' | 'equal';

/** The winning cell of two and why it won, for traces. */
export function reconcile(a: Cell | undefined, b: Cell | undefined): Cell | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareCells(a, b) >= 0 ? a : b;
}

export function reconcileReason(a: Cell, b: Cell): ReconcileReason {
  if (a.timestamp !== b.timestamp) return 'timestamp';
  if (a.value === null || b.value === null) return a.value === b.value ? 'equal' : 'tombstone-tiebreak';
  return compareCells(a, b) === 0 ? 'equal' : 'value-tiebreak';
}

export function cellsEqual(a: Cell | undefined, b: Cell | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return compareCells(a, b) === 0;
}
