import { cellsEqual, reconcile, type Cell } from '../../protocol/cell.js';
import { parseToken } from '../../ring/partitioner.js';

/** A cell as a replica's range scan pages it: in ring order of token, then by key bytes. */
export interface PagedCell {
  token: string;
  key: Uint8Array;
  cell: Cell;
}

/** A key on which the replicas disagree: the winning cell and the replicas that lack it. */
export interface Disagreement {
  key: Uint8Array;
  winner: Cell;
  /** Indexes into the streams of the replicas whose cell is not the winner (or that have none). */
  lacking: number[];
}

interface Cursor {
  pages: AsyncIterator<PagedCell[]>;
  page: PagedCell[];
  /** Ring positions of `page`'s cells, parsed once. */
  positions: bigint[];
  at: number;
  exhausted: boolean;
}

/**
 * Walks every replica's cells of one range side by side, in the order their scans return them,
 * and yields each key on which they disagree. At most one page per replica is held at a time, so
 * repairing a range that a replica lacks entirely (a replaced disk) costs a few pages of memory,
 * not the range. `start` is the range's start: ring order begins just after it.
 */
export async function* disagreements(
  start: bigint,
  streams: readonly AsyncIterable<PagedCell[]>[],
): AsyncGenerator<Disagreement> {
  const cursors: Cursor[] = streams.map((s) => ({
    pages: s[Symbol.asyncIterator](),
    page: [],
    positions: [],
    at: 0,
    exhausted: false,
  }));
  const position = (token: string) => BigInt.asUintN(64, parseToken(token) - start - 1n);
  const refill = async (c: Cursor): Promise<void> => {
    while (!c.exhausted && c.at >= c.page.length) {
      const next = await c.pages.next();
      if (next.done) c.exhausted = true;
      else {
        c.page = next.value;
        c.positions = next.value.map((p) => position(p.token));
        c.at = 0;
      }
    }
  };
  try {
    for (;;) {
      await Promise.all(cursors.map(refill));
      // A replica with pages still to come may hold any key past its page's last one, so only the
      // keys up to the nearest such last key are complete.
      let bound: { position: bigint; key: Uint8Array } | undefined;
      for (const c of cursors) {
        if (c.exhausted) continue;
        const last = {
          position: c.positions[c.page.length - 1] as bigint,
          key: (c.page.at(-1) as PagedCell).key,
        };
        if (bound === undefined || compare(last, bound) < 0) bound = last;
      }
      let progressed = false;
      for (;;) {
        let head: { position: bigint; key: Uint8Array } | undefined;
        for (const c of cursors) {
          if (c.at >= c.page.length) continue;
          const here = { position: c.positions[c.at] as bigint, key: (c.page[c.at] as PagedCell).key };
          if (head === undefined || compare(here, head) < 0) head = here;
        }
        if (head === undefined || (bound !== undefined && compare(head, bound) > 0)) break;
        progressed = true;
        const cells: (Cell | undefined)[] = cursors.map((c) => {
          if (c.at >= c.page.length) return undefined;
          const p = c.page[c.at] as PagedCell;
          if (c.positions[c.at] !== head.position || Buffer.compare(p.key, head.key) !== 0) return undefined;
          c.at++;
          return p.cell;
        });
        let winner: Cell | undefined;
        for (const cell of cells) winner = reconcile(winner, cell);
        const lacking: number[] = [];
        for (const [i, cell] of cells.entries()) if (!cellsEqual(cell, winner)) lacking.push(i);
        if (winner !== undefined && lacking.length > 0) yield { key: head.key, winner, lacking };
      }
      if (!progressed) return;
    }
  } finally {
    // An abandoned walk (a failed write, a timeout) closes the scans it still holds open.
    for (const c of cursors) if (!c.exhausted) await c.pages.return?.();
  }
}

function compare(a: { position: bigint; key: Uint8Array }, b: { position: bigint; key: Uint8Array }): number {
  if (a.position !== b.position) return a.position < b.position ? -1 : 1;
  return Buffer.compare(a.key, b.key);
}
