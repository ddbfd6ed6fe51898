import { cellBatches } from '../protocol/limits.js';
import type { ReplicaChannel } from '../coordination/world.js';
import type { HintStore, StoredHint } from './hints.js';
import type { Clock, HostId, Logger } from './world.js';

export interface HintDeliveryOptions {
  /** Replay rate per target (Cassandra's hinted_handoff_throttle), so a returning node is not flooded. */
  throttleKiBPerSecond: number;
  requestTimeoutMs: number;
  /** Hints sent in one batch. */
  batchSize: number;
}

/**
 * Replays a target's hints once it is UP again, oldest first, at a bounded rate, deleting each
 * batch only after the target acknowledged it durably.
 */
export class HintDelivery {
  /** Hints their target acknowledged since the node started. */
  delivered = 0;
  private readonly active = new Set<HostId>();
  private stopped = false;

  constructor(
    private readonly store: HintStore,
    private readonly channel: ReplicaChannel,
    private readonly clock: Clock,
    private readonly isAlive: (hostId: HostId) => boolean,
    private readonly logger: Logger,
    private readonly options: HintDeliveryOptions,
  ) {}

  /** Starts replay for every live target that has hints (called on UP events and periodically). */
  kickAll(): void {
    for (const target of this.store.targetsWithHints()) this.kick(target);
  }

  kick(target: HostId): void {
    if (this.stopped || this.active.has(target) || !this.isAlive(target)) return;
    this.active.add(target);
    this.deliver(target)
      .catch((e: unknown) =>
        this.logger.warn('hint replay paused', { target, error: e instanceof Error ? e.message : String(e) }),
      )
      .finally(() => this.active.delete(target));
  }

  stop(): void {
    this.stopped = true;
  }

  private async deliver(target: HostId): Promise<void> {
    let sent = 0;
    while (!this.stopped && this.isAlive(target)) {
      const hints = await this.store.oldest(target, this.options.batchSize);
      if (hints.length === 0) break;
      await replayHints(this.channel, this.store, target, hints, this.options.requestTimeoutMs);
      sent += hints.length;
      this.delivered += hints.length;
      await this.pause(hints.reduce((n, h) => n + h.bytes, 0));
    }
    if (sent > 0) this.logger.info('hints replayed', { target, hints: sent });
  }

  private pause(bytes: number): Promise<void> {
    const rate = this.options.throttleKiBPerSecond * 1024;
    if (rate <= 0) return Promise.resolve();
    const ms = (bytes / rate) * 1000;
    return new Promise((resolve) => this.clock.setTimer(ms, resolve));
  }
}

/**
 * Writes hints to their target, in replica_write_batch requests of one keyspace each and no
 * larger than a message may be, and deletes each batch once the target acknowledged it durably.
 */
export async function replayHints(
  channel: ReplicaChannel,
  store: HintStore,
  target: HostId,
  hints: readonly StoredHint[],
  timeoutMs: number,
): Promise<void> {
  const byKeyspace = new Map<string, StoredHint[]>();
  for (const h of hints) {
    const batch = byKeyspace.get(h.keyspace);
    if (batch === undefined) byKeyspace.set(h.keyspace, [h]);
    else batch.push(h);
  }
  for (const [keyspace, hintsOfKeyspace] of byKeyspace) {
    for (const batch of cellBatches(hintsOfKeyspace, hintsOfKeyspace.length)) {
      await channel.request(
        target,
        'replica_write_batch',
        { keyspace, cells: batch.map((h) => ({ key: h.key, cell: h.cell })) },
        timeoutMs,
      );
      await store.remove(batch);
    }
  }
}
