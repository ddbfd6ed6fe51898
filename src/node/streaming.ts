import type { ReplicaChannel } from '../coordination/world.js';
import { formatToken } from '../ring/partitioner.js';
import type { TokenRange } from '../ring/ring.js';
import type { OpResult } from '../protocol/ops/index.js';
import type { HostId } from './world.js';

/** Cells per page when streaming a range. */
export const STREAM_PAGE_CELLS = 500;

type ScannedCell = OpResult<'range_scan'>['cells'][number];

/**
 * Moves whole ranges between nodes, page by page: a joining node pulls the ranges it will own,
 * a leaving node pushes its ranges to their new replicas, and survivors of a removed node pull
 * from the remaining replicas. Every page is applied with last write wins, so a page that
 * arrives twice or races a live write does no harm.
 */
export class RangeStreamer {
  constructor(
    private readonly self: HostId,
    private readonly channel: ReplicaChannel,
    private readonly timeoutMs: number,
  ) {}

  /** Pages of a replica's cells in a range (the local store when `from` is ourselves). */
  async *pages(from: HostId, keyspace: string, range: TokenRange): AsyncIterable<ScannedCell[]> {
    let after: { token: string; key: Uint8Array } | undefined;
    for (;;) {
      const body = {
        keyspace,
        start: formatToken(range.start),
        end: formatToken(range.end),
        limit: STREAM_PAGE_CELLS,
        ...(after ? { after } : {}),
      };
      // The channel answers a request to ourselves from our own store, without the network.
      const page = await this.channel.request(from, 'range_scan', body, this.timeoutMs);
      if (page.cells.length > 0) yield page.cells;
      const last = page.cells[page.cells.length - 1];
      if (!page.more || !last) return;
      after = { token: last.token, key: last.key };
    }
  }

  /** Copies a range from a replica into our own store. Returns the cells fetched. */
  pull(from: HostId, keyspace: string, range: TokenRange): Promise<number> {
    return this.copy(from, this.self, keyspace, range);
  }

  /** Copies a range of our own store to another node. Returns the cells sent. */
  push(to: HostId, keyspace: string, range: TokenRange): Promise<number> {
    return this.copy(this.self, to, keyspace, range);
  }

  /**
   * Writes each page to `to` while the next is read from `from`: one page in each direction at a
   * time, so the reading replica and the writing one work side by side rather than in turns.
   */
  private async copy(from: HostId, to: HostId, keyspace: string, range: TokenRange): Promise<number> {
    let n = 0;
    let writing: Promise<unknown> = Promise.resolve();
    for await (const page of this.pages(from, keyspace, range)) {
      await writing;
      writing = this.channel.request(
        to,
        'replica_write_batch',
        { keyspace, cells: page.map((c) => ({ key: c.key, cell: c.cell })) },
        this.timeoutMs,
      );
      // Awaited once the next page is in; a failure before then is not an unhandled rejection.
      writing.catch(() => undefined);
      n += page.length;
    }
    await writing;
    return n;
  }
}
