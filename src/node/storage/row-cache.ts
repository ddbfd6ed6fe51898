import { compareCells, type Cell } from '../../protocol/cell.js';

/** A cached row that says the key holds nothing durable. */
export const ABSENT = null;
export type Row = Cell | typeof ABSENT;

/**
 * What the cache may hold: a few tens of MB, enough for a benchmark's or a hot working set, and
 * the same ceiling whether values are 10 bytes or 1 MiB (a count of rows would not be).
 */
export const DEFAULT_ROW_CACHE_BYTES = 64 * 1024 * 1024;
/** What a row costs besides its key and value bytes: the map entry, the cell and its array. */
const ROW_OVERHEAD_BYTES = 160;

/**
 * The latest durable cell of recently used keys, bounded by bytes, oldest inserted evicted first.
 * A cached value is a buffer of its own: a value decoded from a frame or a storage read is a view
 * into that frame or read, and keeping the view would keep all of it alive, a socket read of many
 * writes for each row.
 */
export class RowCache {
  private readonly rows = new Map<string, Row>();
  private held = 0;

  constructor(private readonly maxBytes: number = DEFAULT_ROW_CACHE_BYTES) {}

  /** undefined: not cached; ABSENT: cached as holding nothing. */
  get(id: string): Row | undefined {
    return this.rows.get(id);
  }

  set(id: string, row: Row): void {
    this.replace(id, this.rows.get(id), row);
  }

  /** A cell just made durable: it is the row now, unless a newer one already is. */
  offer(id: string, cell: Cell): void {
    const old = this.rows.get(id);
    if (old !== undefined && old !== ABSENT && compareCells(cell, old) <= 0) return;
    this.replace(id, old, cell);
  }

  private replace(id: string, old: Row | undefined, row: Row): void {
    const charge = rowBytes(id, row);
    if (charge > this.maxBytes) {
      this.delete(id);
      return;
    }
    if (old !== undefined) this.held -= rowBytes(id, old);
    // Eviction goes by first insertion, not by last use: moving a row to the end costs a delete
    // per write, and a hot row dropped from the cache costs only one storage read to get back.
    this.rows.set(id, owned(row));
    this.held += charge;
    while (this.held > this.maxBytes) {
      const oldest = this.rows.entries().next();
      if (oldest.done) break;
      this.rows.delete(oldest.value[0]);
      this.held -= rowBytes(oldest.value[0], oldest.value[1]);
    }
  }

  delete(id: string): void {
    const old = this.rows.get(id);
    if (old === undefined) return;
    this.rows.delete(id);
    this.held -= rowBytes(id, old);
  }

  get size(): number {
    return this.rows.size;
  }

  /** The bytes charged for the rows held, overhead included. */
  get bytes(): number {
    return this.held;
  }
}

function rowBytes(id: string, row: Row): number {
  return ROW_OVERHEAD_BYTES + id.length + (row?.value?.byteLength ?? 0);
}

/** The row with a value that owns its buffer, copied only when it is a view into a larger one. */
function owned(row: Row): Row {
  const value = row?.value;
  if (row === ABSENT || value == null || value.byteLength === value.buffer.byteLength) return row;
  // new Uint8Array copies; Buffer's slice would be another view.
  const copy: Cell = { value: new Uint8Array(value), timestamp: row.timestamp };
  if (row.expiresAt !== undefined) copy.expiresAt = row.expiresAt;
  return copy;
}
