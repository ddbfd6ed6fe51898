import type { OpRequest, OpResult } from '../protocol/ops/index.js';
import { tokenOf } from '../ring/partitioner.js';
import type { HybridClock } from '../coordination/hlc.js';
import type { CellStore } from './storage/cell-store.js';

const acked = (): OpResult<'replica_write'> => ({});

/**
 * The replica side of the data path: apply a cell by last write wins, durably, before acking;
 * answer with the local cell. It trusts the coordinator's choice of replicas, as Cassandra does.
 */
export class Replica {
  constructor(
    private readonly cells: CellStore,
    private readonly hlc: HybridClock,
  ) {}

  write(req: OpRequest<'replica_write'>): Promise<OpResult<'replica_write'>> {
    // Keep our own clock ahead of timestamps we store, so our next write to this key wins.
    this.hlc.observe(req.cell.timestamp);
    return this.cells.merge(req.keyspace, tokenOf(req.key), req.key, req.cell).then(acked);
  }

  /**
   * Many cells at once, in one group commit: a coordinator's replica writes of one turn, hints
   * replayed, ranges streamed or repaired. Answers once every cell is durable.
   */
  async writeBatch(req: OpRequest<'replica_write_batch'>): Promise<OpResult<'replica_write_batch'>> {
    const merges = req.cells.map(({ key, cell }) => {
      this.hlc.observe(cell.timestamp);
      return this.cells.merge(req.keyspace, tokenOf(key), key, cell);
    });
    let applied = 0;
    for (const merged of await Promise.all(merges)) if (merged.applied) applied++;
    return { applied };
  }

  async read(req: OpRequest<'replica_read'>): Promise<OpResult<'replica_read'>> {
    const cell = await this.cells.get(req.keyspace, tokenOf(req.key), req.key);
    return cell ? { cell } : {};
  }
}
