import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cellsEqual, reconcile, type Cell } from '../../../src/protocol/cell.js';
import { disagreements, type PagedCell } from '../../../src/node/repair/reconcile-streams.js';

const ring = 2n ** 64n;
/** Ring order from just after `start`, as a range scan returns cells; then key bytes. */
function scanOrder(start: bigint, cells: PagedCell[]): PagedCell[] {
  const pos = (t: string) => (((BigInt(t) - start - 1n) % ring) + ring) % ring;
  return [...cells].sort((a, b) => {
    const d = pos(a.token) - pos(b.token);
    return d !== 0n ? (d < 0n ? -1 : 1) : Buffer.compare(a.key, b.key);
  });
}

async function* paged(
  cells: PagedCell[],
  size: number,
  pulled?: { pages: number },
): AsyncGenerator<PagedCell[]> {
  for (let i = 0; i < cells.length; i += size) {
    // A page arrives later, as from a replica across the network.
    await Promise.resolve();
    if (pulled) pulled.pages++;
    yield cells.slice(i, i + size);
  }
}

async function all(it: AsyncIterable<{ key: Uint8Array; winner: Cell; lacking: number[] }>) {
  const out: { key: string; winner: Cell; lacking: number[] }[] = [];
  for await (const d of it)
    out.push({ key: Buffer.from(d.key).toString('hex'), winner: d.winner, lacking: d.lacking });
  return out;
}

const cell = (timestamp: number, value: string | null): Cell => ({
  timestamp,
  value: value === null ? null : Buffer.from(value),
});

describe("walking replicas' range scans side by side", () => {
  it('yields each key some replica lacks or holds stale, with the winner, in ring order', async () => {
    const start = 100n;
    const k = (s: string) => Buffer.from(s);
    // Two keys share token 5 (a hash collision): they are ordered by key bytes.
    const a: PagedCell[] = [
      { token: '150', key: k('x'), cell: cell(1, 'old') },
      { token: '-7', key: k('y'), cell: cell(3, 'y') },
      { token: '5', key: k('b'), cell: cell(2, 'b') },
    ];
    const b: PagedCell[] = [
      { token: '150', key: k('x'), cell: cell(2, 'new') },
      { token: '5', key: k('a'), cell: cell(1, null) },
      { token: '5', key: k('b'), cell: cell(2, 'b') },
    ];
    const found = await all(
      disagreements(start, [paged(scanOrder(start, a), 1), paged(scanOrder(start, b), 2)]),
    );
    expect(found).toEqual([
      { key: k('x').toString('hex'), winner: cell(2, 'new'), lacking: [0] },
      { key: k('y').toString('hex'), winner: cell(3, 'y'), lacking: [1] },
      { key: k('a').toString('hex'), winner: cell(1, null), lacking: [0] },
    ]);
  });

  it('agrees with reconciling whole copies of the range, whatever the pages', async () => {
    const token = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    const smallToken = fc.integer({ min: -3, max: 3 }).map(BigInt);
    const entry = fc.record({
      token: fc.oneof(token, smallToken),
      key: fc.uint8Array({ minLength: 1, maxLength: 3 }),
      cell: fc.record({
        timestamp: fc.integer({ min: 1, max: 4 }),
        value: fc.option(fc.uint8Array({ maxLength: 2 }), { nil: null }),
      }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(token, smallToken),
        fc.array(fc.array(entry, { maxLength: 25 }), { minLength: 2, maxLength: 4 }),
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 4, maxLength: 4 }),
        async (start, replicas, pageSizes) => {
          // One cell per key and replica, as a store holds; a key keeps one token everywhere.
          const tokenOfKey = new Map<string, bigint>();
          const copies = replicas.map((entries) => {
            const byKey = new Map<string, PagedCell>();
            for (const e of entries) {
              const id = Buffer.from(e.key).toString('hex');
              const t = tokenOfKey.get(id) ?? e.token;
              tokenOfKey.set(id, t);
              byKey.set(id, { token: String(t), key: e.key, cell: e.cell });
            }
            return byKey;
          });
          const keys = new Map<string, PagedCell>();
          for (const c of copies) for (const [id, p] of c) keys.set(id, p);
          const expected = scanOrder(start, [...keys.values()]).flatMap((p) => {
            const id = Buffer.from(p.key).toString('hex');
            let winner: Cell | undefined;
            for (const c of copies) winner = reconcile(winner, c.get(id)?.cell);
            const lacking = copies.flatMap((c, i) => (cellsEqual(c.get(id)?.cell, winner) ? [] : [i]));
            return lacking.length > 0 ? [{ key: id, winner: winner as Cell, lacking }] : [];
          });
          const streams = copies.map((c, i) =>
            paged(scanOrder(start, [...c.values()]), pageSizes[i] as number),
          );
          expect(await all(disagreements(start, streams))).toEqual(expected);
        },
      ),
    );
  });

  it('holds one page per replica, not the range, when a replica lacks all of it', async () => {
    const cells: PagedCell[] = [];
    for (let i = 0; i < 10_000; i++) {
      cells.push({ token: String(i), key: Buffer.from(String(i).padStart(5, '0')), cell: cell(1, 'v') });
    }
    const pageSize = 100;
    const pulled = { pages: 0 };
    let seen = 0;
    for await (const d of disagreements(-1n, [paged([], pageSize), paged(cells, pageSize, pulled)])) {
      expect(d.lacking).toEqual([0]);
      // Key number `seen` is on page seen / pageSize; the walk may have read the page after it.
      expect(pulled.pages).toBeLessThanOrEqual(Math.floor(seen / pageSize) + 2);
      seen++;
    }
    expect(seen).toBe(10_000);
  });

  it('closes the scans it holds when the walk is abandoned', async () => {
    let closed = 0;
    async function* scan(): AsyncGenerator<PagedCell[]> {
      try {
        for (let i = 0; ; i++) {
          await Promise.resolve();
          yield [{ token: String(i), key: Buffer.from([i % 256]), cell: cell(1, 'v') }];
        }
      } finally {
        closed++;
      }
    }
    for await (const d of disagreements(-1n, [scan(), paged([], 1)])) {
      expect(d.lacking).toEqual([1]);
      break;
    }
    expect(closed).toBe(1);
  });
});
