import type { Cell } from '../protocol/cell.js';
import {
  countTowards,
  isSatisfiedBy,
  requiredCount,
  type ConsistencyLevel,
  type Requirement,
} from '../protocol/consistency.js';
import { failureList, RingkvError } from '../protocol/errors.js';
import type { OpResult } from '../protocol/ops/index.js';
import { withResolvers } from '../protocol/with-resolvers.js';
import { MissedReplies } from './missed-replies.js';
import type { RingNode } from '../ring/ring.js';
import type { InFlight } from './in-flight.js';
import type { LatencyTracker } from './latency.js';
import type { Trace } from './trace.js';
import type { Clock, HostId } from './world.js';

/** A hint stored, or why not (hinted handoff off, the target past its window or removed). */
export type HintOutcome = { stored: true } | { stored: false; reason: string };

/** Where the coordinator leaves a mutation for a replica that did not take it. */
export interface HintSink {
  /** Stores a durable hint, or says why it did not. */
  store(target: HostId, keyspace: string, key: Uint8Array, cell: Cell): Promise<HintOutcome>;
}

/** What a mutation sends every replica. */
export interface ReplicaWrite {
  keyspace: string;
  key: Uint8Array;
  cell: Cell;
}

export interface WriteResponseDeps {
  selfId: HostId;
  clock: Clock;
  hints: HintSink;
  latency: LatencyTracker;
  /** Warns that a hint could not be stored (throttled: a full disk fails them all). */
  hintNotStored: (fields: Record<string, unknown>) => void;
  /**
   * Mutations some replica of which has neither acked nor been hinted yet: a stopping node waits
   * for them, so that a straggler's ack arrives, or its hint is stored before the storage closes.
   */
  writes: InFlight;
}

/**
 * What a coordinator knows about one mutation while replicas answer (Cassandra's write response
 * handler): acks, hints, and whether the CL is met or can no longer be. One object per write
 * rather than a closure per replica and per outcome, since every write pays for it.
 */
export class WriteResponse {
  /** Settles once the CL is met (or, for ANY, a hint is stored), or every replica has settled. */
  readonly answer: Promise<OpResult<'mutate'>>;
  private readonly resolve: (result: OpResult<'mutate'>) => void;
  private readonly reject: (error: RingkvError) => void;
  private readonly acks: RingNode[] = [];
  private readonly hinted: HostId[] = [];
  /** Replicas whose connection was lost, and those that answered with an error (a full disk). */
  private readonly missed = new MissedReplies();
  private settled = 0;
  private done = false;
  private readonly started: number;

  constructor(
    private readonly deps: WriteResponseDeps,
    private readonly mutation: ReplicaWrite,
    private readonly cl: ConsistencyLevel,
    private readonly requirement: Requirement,
    /** Pending replicas (joining, or taking over a range) counted in the requirement. */
    private readonly pending: number,
    /** Replicas sent the mutation plus replicas hinted at once. */
    private readonly total: number,
    /** How long replicas were given to ack, for the timeout's message. */
    private readonly timeoutMs: number,
    private readonly trace: Trace | undefined,
  ) {
    this.started = deps.clock.monotonicMs();
    ({
      promise: this.answer,
      resolve: this.resolve,
      reject: this.reject,
    } = withResolvers<OpResult<'mutate'>>());
    if (total === 0) this.check();
    else deps.writes.begin();
  }

  acked(target: RingNode): void {
    const ms = this.deps.clock.monotonicMs() - this.started;
    this.deps.latency.record(target.hostId, ms);
    this.acks.push(target);
    this.trace?.add(`ack from ${target.hostId} after ${ms.toFixed(2)} ms`);
    this.settle();
  }

  failed(target: RingNode, e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    this.trace?.add(`no ack from ${target.hostId}: ${message}`);
    this.hint(target, this.missed.add(target.hostId, e) ? 'no ack' : 'it failed the write');
  }

  /** Stores a hint for a replica that is down or did not ack; it settles once the hint has. */
  hint(target: RingNode, why: string): void {
    const { keyspace, key, cell } = this.mutation;
    void this.deps.hints
      .store(target.hostId, keyspace, key, cell)
      .then(
        (outcome) => {
          if (outcome.stored) {
            this.hinted.push(target.hostId);
            this.trace?.add(`hint stored for ${target.hostId} (${why})`);
          } else {
            this.trace?.add(`no hint for ${target.hostId} (${why}): ${outcome.reason}`);
          }
        },
        (e: unknown) => {
          const error = e instanceof Error ? e.message : String(e);
          this.trace?.add(`could not store a hint for ${target.hostId}: ${error}`);
          this.deps.hintNotStored({ target: target.hostId, error });
        },
      )
      // Settled a step later, so that hints stored together (every replica down) are all
      // reported by an ANY write they satisfy.
      .then(() => this.settle());
  }

  /** One more replica has acked or been hinted (or could not be). */
  private settle(): void {
    if (++this.settled === this.total) this.deps.writes.end();
    this.check();
  }

  private check(): void {
    if (this.done) return;
    const { cl, requirement, acks, hinted, trace } = this;
    const { failures, unreachable } = this.missed;
    const { cell } = this.mutation;
    if (isSatisfiedBy(requirement, acks) || (requirement.hintsCount && hinted.length > 0)) {
      this.done = true;
      trace?.add(
        `${cl} met with ${acks.length} ack(s)${hinted.length ? ` and ${hinted.length} hint(s)` : ''}`,
      );
      this.resolve({
        timestamp: cell.timestamp,
        coordinator: this.deps.selfId,
        acks: acks.map((n) => n.hostId),
        hinted: [...hinted],
        ...(trace ? { trace: trace.events } : {}),
      });
    } else if (this.settled === this.total) {
      this.done = true;
      const required = requiredCount(requirement);
      const received = countTowards(requirement, acks);
      const details = {
        cl,
        received,
        required,
        ...(this.pending > 0 ? { pending: this.pending } : {}),
        acks: acks.map((n) => n.hostId),
        ...(failures ? { failures } : {}),
        ...(unreachable ? { unreachable } : {}),
        ...(trace ? { trace: trace.events } : {}),
      };
      const needed = `${cl} needed ${required} ack${required === 1 ? '' : 's'}, got ${received}`;
      const applied = 'the write may have been applied on the replicas that took it';
      // A replica that answered with an error failed the write (Cassandra's WriteFailure): say
      // why, rather than call it a timeout and leave the reason in that replica's log.
      this.reject(
        failures
          ? new RingkvError('WRITE_FAILURE', `${needed}; ${failureList(failures)}; ${applied}`, details)
          : new RingkvError(
              'WRITE_TIMEOUT',
              `${needed}${this.missed.why(this.timeoutMs)}; ${applied}`,
              details,
            ),
      );
    }
  }
}
