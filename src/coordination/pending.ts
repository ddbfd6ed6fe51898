import type { Replication } from '../protocol/consistency.js';
import { TokenRing, withJoining, type RingNode } from '../ring/ring.js';
import { replicasFor } from '../ring/strategy.js';

/**
 * Pending replicas: while nodes join or leave, the ring of tomorrow gives some tokens replicas
 * that today's ring does not. Writes go to those too, so that the moment the ring changes they
 * already hold everything written during the move (Cassandra's pending ranges).
 */
export class PendingRanges {
  private readonly future: TokenRing | undefined;

  constructor(
    private readonly current: TokenRing,
    joining: readonly RingNode[],
    leaving: readonly string[],
  ) {
    if (joining.length === 0 && leaving.length === 0) return;
    // A joiner whose tokens clash with the ring or an earlier joiner picks others; until then it
    // is nobody's pending replica.
    let ring = withJoining(current, joining);
    for (const id of leaving) ring = ring.withoutNode(id);
    this.future = ring;
  }

  get active(): boolean {
    return this.future !== undefined;
  }

  replicasFor(replication: Replication, token: bigint): RingNode[] {
    if (!this.future || this.future.size === 0) return [];
    const now = new Set(
      this.current.size > 0 ? replicasFor(this.current, replication, token).map((n) => n.hostId) : [],
    );
    return replicasFor(this.future, replication, token).filter((n) => !now.has(n.hostId));
  }
}
