import type { Cell } from '../protocol/cell.js';
import { cellMessageBytes, MAX_CELLS_MESSAGE_BYTES } from '../protocol/limits.js';
import type { OpName, OpRequest, OpResult } from '../protocol/ops/index.js';
import { withResolvers, type WithResolvers } from '../protocol/with-resolvers.js';
import type { Clock, HostId, ReplicaChannel } from './world.js';

/**
 * A batch is sent before it would carry more writes than this (the batch schema allows 10,000), or
 * more bytes than one message may (MAX_CELLS_MESSAGE_BYTES).
 */
const MAX_BATCH_WRITES = 1024;

/** The writes to one peer and keyspace waiting for the end of the turn; all get its one answer. */
interface PendingBatch extends WithResolvers<OpResult<'replica_write'>> {
  to: HostId;
  keyspace: string;
  cells: { key: Uint8Array; cell: Cell }[];
  bytes: number;
  timeoutMs: number;
}

/**
 * Replica writes to one peer that one event-loop turn produces leave as one `replica_write_batch`
 * request: one envelope, one timer and one answer for the lot instead of one each, which is most
 * of what a replica write costs besides its storage merge. Under load a coordinator turns a frame
 * of client mutations into a frame of replica writes per peer, so the saving grows with load; a
 * lone write still goes out as a plain `replica_write`, with no wait beyond the current turn.
 *
 * The replica applies a batch in one group commit and answers once all of it is durable, so every
 * write of a batch is acknowledged, or fails (timeout, error), together: as each would have, since
 * they would have shared that sync anyway. Anything else passes through, as do writes to `self`
 * (which the inner channel serves without the network).
 */
export class ReplicaWriteBatcher implements ReplicaChannel {
  private readonly pending = new Map<string, PendingBatch>();
  private scheduled = false;

  constructor(
    private readonly inner: ReplicaChannel,
    private readonly self: HostId | undefined,
    private readonly clock: Pick<Clock, 'defer'>,
  ) {}

  request<K extends OpName>(to: HostId, op: K, body: OpRequest<K>, timeoutMs: number): Promise<OpResult<K>> {
    if (op !== 'replica_write' || to === this.self) return this.inner.request(to, op, body, timeoutMs);
    const { keyspace, key, cell } = body as OpRequest<'replica_write'>;
    const id = `${to}\u0000${keyspace}`;
    const size = cellMessageBytes(key, cell.value);
    let batch = this.pending.get(id);
    if (
      batch !== undefined &&
      (batch.bytes + size > MAX_CELLS_MESSAGE_BYTES || batch.cells.length >= MAX_BATCH_WRITES)
    ) {
      this.pending.delete(id);
      this.send(batch);
      batch = undefined;
    }
    if (batch === undefined) {
      batch = {
        to,
        keyspace,
        cells: [],
        bytes: 0,
        timeoutMs: 0,
        ...withResolvers<OpResult<'replica_write'>>(),
      };
      this.pending.set(id, batch);
    }
    batch.cells.push({ key, cell });
    batch.bytes += size;
    batch.timeoutMs = Math.max(batch.timeoutMs, timeoutMs);
    if (!this.scheduled) {
      this.scheduled = true;
      this.clock.defer(() => this.flush());
    }
    return batch.promise as Promise<OpResult<K>>;
  }

  private flush(): void {
    this.scheduled = false;
    const batches = [...this.pending.values()];
    this.pending.clear();
    for (const batch of batches) this.send(batch);
  }

  private send({ to, keyspace, cells, timeoutMs, resolve, reject }: PendingBatch): void {
    const only = cells.length === 1 ? cells[0] : undefined;
    const sent =
      only !== undefined
        ? this.inner.request(to, 'replica_write', { keyspace, key: only.key, cell: only.cell }, timeoutMs)
        : this.inner.request(to, 'replica_write_batch', { keyspace, cells }, timeoutMs);
    sent.then(() => resolve({}), reject);
  }
}
