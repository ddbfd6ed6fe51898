import type { Cell } from '../protocol/cell.js';
import type { Replication } from '../protocol/consistency.js';
import { RingkvError } from '../protocol/errors.js';
import type { OpName, OpRequest, OpResult } from '../protocol/ops/index.js';
import { parseToken } from '../ring/partitioner.js';
import type { RingNode } from '../ring/ring.js';
import type { ClusterView } from '../coordination/cluster-view.js';
import { Coordinator, type HintOutcome, type HintSink } from '../coordination/coordinator.js';
import { HybridClock } from '../coordination/hlc.js';
import { LatencyTracker } from '../coordination/latency.js';
import { PendingRanges } from '../coordination/pending.js';
import { ReplicaWriteBatcher } from '../coordination/replica-write-batcher.js';
import { systemClock } from '../coordination/system-clock.js';
import type { Logger } from '../coordination/world.js';
import type { SpeculativeRetry } from './api.js';
import type { ClusterTopology } from './topology.js';

/** The client stands in as coordinator under this name in traces and results. */
export const CLIENT_COORDINATOR_ID = 'client';

export interface ClientCoordinatorDeps {
  topology: () => ClusterTopology;
  localDc: string;
  timeoutMs: number;
  speculativeRetry: SpeculativeRetry;
  send: <K extends OpName>(
    hostId: string,
    op: K,
    body: OpRequest<K>,
    timeoutMs: number,
  ) => Promise<OpResult<K>>;
  /** Live nodes that may hold a hint for `target`, best first (never the target itself). */
  hintHolders(target: string): string[];
}

const quietLogger: Logger = { info() {}, warn() {}, error() {}, debug() {} };
/** A hint goes to the first holder that takes it; after this many refusals the write goes unhinted. */
const MAX_HINT_HOLDERS_TRIED = 2;

/**
 * `--coordination client`: the same coordination a node does (CL counting, UNAVAILABLE and
 * timeouts, hints, read repair, speculative retry), run in the client, which saves the
 * coordinator's hop. A replica that misses a write gets a hint held by a live node, which replays
 * it when the replica is back.
 */
export class ClientCoordinator {
  private readonly coordinator: Coordinator;
  /** Replica latencies as this client sees them: nearest-first reads and the 99p retry delay. */
  readonly latency = new LatencyTracker();

  constructor(deps: ClientCoordinatorDeps) {
    const view = new TopologyView(deps.topology, deps.localDc);
    const latency = this.latency;
    const hints: HintSink = {
      async store(target: string, keyspace: string, key: Uint8Array, cell: Cell): Promise<HintOutcome> {
        const holders = deps.hintHolders(target).slice(0, MAX_HINT_HOLDERS_TRIED);
        const failures: string[] = [];
        for (const holder of holders) {
          try {
            const { stored, reason } = await deps.send(
              holder,
              'hint_store',
              { target, keyspace, key, cell },
              deps.timeoutMs,
            );
            return stored ? { stored } : { stored, reason: reason ?? `${holder} did not store it` };
          } catch (e) {
            // Said if no holder takes it; the next one is tried.
            failures.push(`${holder}: ${e instanceof Error ? e.message : String(e)}`);
          }
        }
        return {
          stored: false,
          reason:
            holders.length === 0 ? 'no live node to hold it' : `no node took it (${failures.join('; ')})`,
        };
      },
    };
    // The client is no replica: every replica write of a turn to one node shares a request.
    const replicas = new ReplicaWriteBatcher({ request: deps.send }, undefined, systemClock);
    this.coordinator = new Coordinator({
      view,
      rpc: {
        async request(to, op, body, timeoutMs) {
          const started = systemClock.monotonicMs();
          try {
            return await replicas.request(to, op, body, timeoutMs);
          } catch (e) {
            // A replica that does not answer in time is as slow as the wait was: reads move away
            // from it (as Cassandra's dynamic snitch counts timeouts) instead of waiting again.
            if (e instanceof RingkvError && e.code === 'OVERLOADED')
              latency.record(to, systemClock.monotonicMs() - started);
            throw e;
          }
        },
      },
      clock: systemClock,
      hlc: new HybridClock(() => systemClock.nowMicros()),
      hints,
      latency,
      logger: quietLogger,
      options: {
        requestTimeoutMs: deps.timeoutMs,
        // Values are checked by the replicas' own limits.
        maxValueBytes: Number.MAX_SAFE_INTEGER,
        speculativeRetryPercentile:
          deps.speculativeRetry.kind === 'percentile' ? deps.speculativeRetry.p : 99,
      },
    });
  }

  mutate(body: OpRequest<'mutate'>): Promise<OpResult<'mutate'>> {
    return this.coordinator.mutate(body);
  }

  read(body: OpRequest<'read'>): Promise<OpResult<'read'>> {
    return this.coordinator.read(body);
  }

  /** Resolves once every replica of every write begun so far has acked or been hinted. */
  writesSettled(): Promise<void> {
    return this.coordinator.writesSettled();
  }
}

/** The cluster as the client's topology describes it, in the shape the coordinator reads. */
class TopologyView implements ClusterView {
  readonly selfId = CLIENT_COORDINATOR_ID;
  private cachedFor: ClusterTopology | undefined;
  private pending: PendingRanges | undefined;

  constructor(
    private readonly topology: () => ClusterTopology,
    readonly localDc: string,
  ) {}

  ring() {
    return this.topology().ring;
  }

  replication(keyspace: string): Replication | undefined {
    return this.topology().replication(keyspace);
  }

  isAlive(hostId: string): boolean {
    return this.topology().isUp(hostId);
  }

  pendingReplicas(replication: Replication, token: bigint): readonly RingNode[] {
    const t = this.topology();
    if (this.cachedFor !== t || this.pending === undefined) {
      this.cachedFor = t;
      const joining = t.nodes
        .filter((n) => n.status === 'JOINING' && n.tokens.length > 0)
        .map((n) => ({ hostId: n.hostId, dc: n.dc, rack: n.rack, tokens: n.tokens.map(parseToken) }));
      const leaving = t.nodes.filter((n) => n.status === 'LEAVING').map((n) => n.hostId);
      this.pending = new PendingRanges(t.ring, joining, leaving);
    }
    return this.pending.replicasFor(replication, token);
  }
}
