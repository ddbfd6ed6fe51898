import type { Cell } from '../protocol/cell.js';
import type { OpName, OpRequest, OpResult } from '../protocol/ops/index.js';
import type { Clock, HostId, ReplicaChannel } from './world.js';

/** A batch is sent before it would carry more key and value bytes than this (frames stay small). */
const MAX_BATCH_BYTES = 64 * 1024;
/** ...or more writes than this (the batch schema allows 10,000). */
const MAX_BATCH_WRITES = 1024;

interface PendingWrite {
  key: Uint8Array;
  cell: Cell;
  timeoutMs: number;
  resolve(result: OpResult<'replica_write'>): void;
  reject(error: unknown): void;
}

/** The writes to one peer and keyspace waiting for the end of the turn. */
interface PendingBatch {
  to: HostId;
  keyspace: string;
  writes: PendingWrite[];
  bytes: number;
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
    return new Promise<OpResult<'replica_write'>>((resolve, reject) => {
      const id = `${to}\u0000${keyspace}`;
      const size = key.length + (cell.value?.length ?? 0);
      let batch = this.pending.get(id);
      if (
        batch !== undefined &&
        (batch.bytes + size > MAX_BATCH_BYTES || batch.writes.length >= MAX_BATCH_WRITES)
      ) {
        this.pending.delete(id);
        this.send(batch);
        batch = undefined;
      }
      if (batch === undefined) {
        batch = { to, keyspace, writes: [], bytes: 0 };
        this.pending.set(id, batch);
      }
      batch.writes.push({ key, cell, timeoutMs, resolve, reject });
      batch.bytes += size;
      if (!this.scheduled) {
        this.scheduled = true;
        this.clock.defer(() => this.flush());
      }
    }) as Promise<OpResult<K>>;
  }

  private flush(): void {
    this.scheduled = false;
    const batches = [...this.pending.values()];
    this.pending.clear();
    for (const batch of batches) this.send(batch);
  }

  private send({ to, keyspace, writes }: PendingBatch): void {
    if (writes.length === 1) {
      const w = writes[0] as PendingWrite;
      this.inner.request(to, 'replica_write', { keyspace, key: w.key, cell: w.cell }, w.timeoutMs).then(
        (result) => w.resolve(result),
        (e: unknown) => w.reject(e),
      );
      return;
    }
    let timeoutMs = 0;
    for (const w of writes) timeoutMs = Math.max(timeoutMs, w.timeoutMs);
    this.inner
      .request(
        to,
        'replica_write_batch',
        { keyspace, cells: writes.map((w) => ({ key: w.key, cell: w.cell })) },
        timeoutMs,
      )
      .then(
        () => {
          for (const w of writes) w.resolve({});
        },
        (e: unknown) => {
          for (const w of writes) w.reject(e);
        },
      );
  }
}
