import { compareCells, type Cell } from '../../protocol/cell.js';

/** A cached row that says the key holds nothing durable. */
export const ABSENT = null;
export type Row = Cell | typeof ABSENT;

/** The cache is sized in MiB (`--row-cache-mb`), as Cassandra's row_cache_size. */
export const MIB = 1024 * 1024;

/**
 * What the cache may hold: a few tens of MB, enough for a benchmark's or a hot working set, and
 * the same ceiling whether values are 10 bytes or 1 MiB (a count of rows would not be).
 */
export const DEFAULT_ROW_CACHE_BYTES = 64 * MIB;
/**
 * The cached values live in the JavaScript heap (strings, see CachedCell), which has a ceiling of
 * its own: past half of it, a full cache leaves the node too little for everything else and it
 * dies out of memory under load rather than refusing to start.
 */
export function rowCacheProblem(bytes: number, heapLimitBytes: number): string | undefined {
  const mib = (n: number) => Math.floor(n / MIB);
  if (bytes <= heapLimitBytes / 2) return undefined;
  return `a row cache of ${mib(bytes)} MiB is more than half of this process's JavaScript heap (${mib(heapLimitBytes)} MiB): use at most ${mib(heapLimitBytes / 2)}, or raise the heap with NODE_OPTIONS=--max-old-space-size=<MiB>`;
}

/** What a row costs besides its key and value bytes: the map entry, the cached cell, the string. */
const ROW_OVERHEAD_BYTES = 160;

/**
 * A cached cell whose value is a one-byte string of its bytes. A value decoded from a frame or a
 * storage read is a view into that frame or read, and keeping the view would keep all of it alive,
 * a socket read of many writes for each row. A copy of its own as a Uint8Array is an off-heap
 * ArrayBuffer, which V8 allocates, zero-fills and tracks apart: measured in a 3-node cluster under
 * write load, those copies cost the nodes 5 to 10% of their CPU. A string is one young heap
 * object, copied by one memcpy.
 */
export class CachedCell {
  constructor(
    readonly timestamp: number,
    readonly value: string | null,
    readonly expiresAt: number | undefined,
  ) {}

  /** The cell, its value copied back to bytes. */
  toCell(): Cell {
    const cell: Cell = {
      value: this.value === null ? null : bytesOf(this.value),
      timestamp: this.timestamp,
    };
    if (this.expiresAt !== undefined) cell.expiresAt = this.expiresAt;
    return cell;
  }
}
type CachedRow = CachedCell | typeof ABSENT;

/** A cell as decided or read, or as the cache holds it. */
export type LatestCell = Cell | CachedCell;

export function cellOf(latest: LatestCell): Cell {
  return latest instanceof CachedCell ? latest.toCell() : latest;
}

/** Whether `cell` wins over `latest` (last write wins); cached bytes are copied only when timestamps tie. */
export function supersedes(cell: Cell, latest: LatestCell): boolean {
  if (cell.timestamp !== latest.timestamp) return cell.timestamp > latest.timestamp;
  return compareCells(cell, cellOf(latest)) > 0;
}

/** The latest durable cell of recently used keys, bounded by bytes, oldest inserted evicted first. */
export class RowCache {
  private readonly rows = new Map<string, CachedRow>();
  private held = 0;

  constructor(private readonly maxBytes: number = DEFAULT_ROW_CACHE_BYTES) {}

  /**
   * undefined: not cached; ABSENT: cached as holding nothing. A cell's value is a fresh copy,
   * from Node's buffer pool when small: a copy kept for long would keep its 8 KiB pool slab alive.
   */
  get(id: string): Row | undefined {
    const row = this.rows.get(id);
    return row === undefined || row === ABSENT ? row : row.toCell();
  }

  /**
   * The row as held, its value not copied: a write decides against the timestamp alone unless
   * the timestamps tie, so most writes need no copy of the bytes they supersede.
   */
  peek(id: string): CachedRow | undefined {
    return this.rows.get(id);
  }

  set(id: string, row: Row): void {
    this.replace(id, this.rows.get(id), row);
  }

  /** A cell just made durable: it is the row now, unless a newer one already is. */
  offer(id: string, cell: Cell): void {
    const old = this.rows.get(id);
    if (old !== undefined && old !== ABSENT && !supersedes(cell, old)) return;
    this.replace(id, old, cell);
  }

  private replace(id: string, old: CachedRow | undefined, row: Row): void {
    // A one-byte string is as long as its bytes: the charge is known before the copy.
    const charge = ROW_OVERHEAD_BYTES + id.length + (row?.value?.byteLength ?? 0);
    if (charge > this.maxBytes) {
      this.delete(id);
      return;
    }
    const cached = row === ABSENT ? ABSENT : fromCell(row);
    if (old !== undefined) this.held -= rowBytes(id, old);
    // Eviction goes by first insertion, not by last use: moving a row to the end costs a delete
    // per write, and a hot row dropped from the cache costs only one storage read to get back.
    this.rows.set(id, cached);
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

  /** The most it holds, in the same bytes. */
  get capacity(): number {
    return this.maxBytes;
  }
}

function rowBytes(id: string, row: CachedRow): number {
  return ROW_OVERHEAD_BYTES + id.length + (row?.value?.length ?? 0);
}

function fromCell(cell: Cell): CachedCell {
  const { value } = cell;
  return new CachedCell(
    cell.timestamp,
    value === null ? null : Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1'),
    cell.expiresAt,
  );
}

/** A plain Uint8Array, as storage reads give, over bytes from Node's buffer pool. */
function bytesOf(latin1: string): Uint8Array {
  const pooled = Buffer.from(latin1, 'latin1');
  return new Uint8Array(pooled.buffer, pooled.byteOffset, pooled.byteLength);
}
