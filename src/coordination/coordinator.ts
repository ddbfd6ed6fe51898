import { isLive, reconcile, reconcileReason, cellsEqual, type Cell } from '../protocol/cell.js';
import {
  byDataCenter,
  countTowards,
  isSatisfiedBy,
  requiredCount,
  requirementFor,
  type ConsistencyLevel,
  type ReplicaRef,
  type Replication,
  type Requirement,
  unavailableMessage,
} from '../protocol/consistency.js';
import { RingkvError, unknownKeyspace } from '../protocol/errors.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, keyTooLarge, valueTooLarge } from '../protocol/limits.js';
import type { OpRequest, OpResult } from '../protocol/ops/index.js';
import { tokenOf } from '../ring/partitioner.js';
import { NO_NODES, type RingNode } from '../ring/ring.js';
import { replicasFor } from '../ring/strategy.js';
import type { ClusterView } from './cluster-view.js';
import { InFlight } from './in-flight.js';
import type { LatencyTracker } from './latency.js';
import { MissedReplies } from './missed-replies.js';
import { Trace } from './trace.js';
import type { Clock, HostId, Logger, ReplicaChannel, Timer, TimestampSource } from './world.js';
import { throttledWarning } from './throttled-warning.js';
import { WriteResponse, type HintSink, type WriteResponseDeps } from './write-response.js';

export type { HintOutcome, HintSink } from './write-response.js';

export interface CoordinatorOptions {
  requestTimeoutMs: number;
  maxValueBytes: number;
  /** Reads ask one more replica after this percentile of its latency, unless the request says otherwise. */
  speculativeRetryPercentile: number;
}

export interface CoordinatorDeps {
  view: ClusterView;
  rpc: ReplicaChannel;
  clock: Clock;
  hlc: TimestampSource;
  hints: HintSink;
  latency: LatencyTracker;
  logger: Logger;
  options: CoordinatorOptions;
}

type MutateRequest = OpRequest<'mutate'>;
type ReadRequest = OpRequest<'read'>;

/**
 * Any node coordinates any request: it finds the key's replicas, sends to all of them in
 * parallel and answers as soon as the consistency level is met (DESIGN.md).
 */
export class Coordinator {
  /** Requirements worked out per keyspace replication (one object per keyspace until it changes) and CL. */
  private readonly requirements = new WeakMap<Replication, Map<ConsistencyLevel, Requirement>>();

  private readonly responseDeps: WriteResponseDeps;

  constructor(private readonly deps: CoordinatorDeps) {
    this.responseDeps = {
      selfId: deps.view.selfId,
      clock: deps.clock,
      hints: deps.hints,
      latency: deps.latency,
      hintNotStored: throttledWarning(deps.clock, deps.logger, 'could not store a hint'),
      writes: new InFlight(),
    };
  }

  /**
   * The node's request timeout, or the client's when it waits less: an answer after that would
   * reach no one. A request that names none comes from a client waiting the default.
   */
  private timeoutFor(req: { timeoutMs?: number | undefined }): number {
    const own = this.deps.options.requestTimeoutMs;
    const asked = req.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    return asked < own ? asked : own;
  }

  /** Resolves once every replica of every write begun so far has acked or been hinted. */
  writesSettled(): Promise<void> {
    return this.responseDeps.writes.idle();
  }

  private requirementFor(cl: ConsistencyLevel, replication: Replication): Requirement {
    let byCl = this.requirements.get(replication);
    if (byCl === undefined) {
      byCl = new Map();
      this.requirements.set(replication, byCl);
    }
    let requirement = byCl.get(cl);
    if (requirement === undefined) {
      requirement = requirementFor(cl, replication, this.deps.view.localDc);
      byCl.set(cl, requirement);
    }
    return requirement;
  }

  private checkKey(keyspace: string, key: Uint8Array) {
    const replication = this.deps.view.replication(keyspace);
    if (!replication) {
      throw unknownKeyspace(keyspace);
    }
    if (key.length === 0) throw new RingkvError('INVALID_REQUEST', 'the key is empty');
    const tooLarge = keyTooLarge(key);
    if (tooLarge) throw tooLarge;
    return replication;
  }

  /** placed: every replica of the key, up or down (pending ones included). */
  private unavailable(
    cl: ConsistencyLevel,
    requirement: Requirement,
    alive: readonly ReplicaRef[],
    placed: readonly ReplicaRef[],
    joining = 0,
  ): RingkvError {
    const required = requiredCount(requirement);
    const aliveCount = countTowards(requirement, alive);
    // Fewer replicas than the CL needs even with every node up: the cluster is smaller than the
    // keyspace's replication, and no node is there to be brought back.
    const replicas = countTowards(requirement, placed);
    const dcs = byDataCenter(requirement, alive, placed);
    return new RingkvError('UNAVAILABLE', unavailableMessage(cl, required, aliveCount, joining, dcs), {
      cl,
      required,
      alive: aliveCount,
      replicas,
      // While a node joins or leaves it takes writes as a pending replica, and must ack them too.
      ...(joining > 0 ? { pending: joining } : {}),
      ...(dcs ? { dcs } : {}),
    });
  }

  mutate(req: MutateRequest): Promise<OpResult<'mutate'>> {
    // Not an async function: the answer is the write response's own promise, with no extra hop.
    try {
      return this.startMutation(req);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private startMutation(req: MutateRequest): Promise<OpResult<'mutate'>> {
    const { view, rpc, clock, options } = this.deps;
    const replication = this.checkKey(req.keyspace, req.key);
    const tooLarge = valueTooLarge(req.value, options.maxValueBytes);
    if (tooLarge) throw tooLarge;
    const trace = req.trace ? new Trace(clock, view.selfId) : undefined;
    const token = tokenOf(req.key);
    const natural = replicasFor(view.ring(), replication, token);
    const pending = view.pendingReplicas(replication, token);
    const requirement = withPending(this.requirementFor(req.cl, replication), pending);
    const { targets, down } = liveAndDown(natural, pending, view);
    if (!requirement.hintsCount && !isSatisfiedBy(requirement, targets)) {
      throw this.unavailable(req.cl, requirement, targets, [...natural, ...pending], pending.length);
    }

    const timestamp = req.timestamp ?? this.deps.hlc.now();
    if (req.timestamp !== undefined) this.deps.hlc.observe(req.timestamp);
    const cell: Cell = { value: req.value, timestamp };
    if (req.ttl !== undefined && req.value !== null) cell.expiresAt = timestamp + req.ttl * 1_000_000;
    trace?.add(
      `coordinating ${req.value === null ? 'delete' : 'write'} at ${req.cl}, token ${token}, replicas ${natural.map((n) => n.hostId).join(', ')}`,
    );

    // One request body for every replica: nothing on the way changes it.
    const body = { keyspace: req.keyspace, key: req.key, cell };
    const timeoutMs = this.timeoutFor(req);
    const response = new WriteResponse(
      this.responseDeps,
      body,
      req.cl,
      requirement,
      pending.length,
      targets.length + down.length,
      timeoutMs,
      trace,
    );
    for (const target of targets) {
      trace?.add(`sending mutation to ${target.hostId}`);
      rpc.request(target.hostId, 'replica_write', body, timeoutMs).then(
        () => response.acked(target),
        (e: unknown) => response.failed(target, e),
      );
    }
    for (const target of down) response.hint(target, 'replica is down');
    return response.answer;
  }

  async read(req: ReadRequest): Promise<OpResult<'read'>> {
    const { view, rpc, clock, options } = this.deps;
    if (req.cl === 'ANY') {
      throw new RingkvError('INVALID_REQUEST', 'ANY is for writes only: read at ONE or higher');
    }
    const replication = this.checkKey(req.keyspace, req.key);
    const trace = req.trace ? new Trace(clock, view.selfId) : undefined;
    const token = tokenOf(req.key);
    const natural = replicasFor(view.ring(), replication, token);
    const requirement = this.requirementFor(req.cl, replication);
    const alive = this.byProximity(natural.filter((n) => view.isAlive(n.hostId)));
    if (!isSatisfiedBy(requirement, alive)) throw this.unavailable(req.cl, requirement, alive, natural);

    const first = pickForRequirement(requirement, alive);
    const spare = alive.filter((n) => !first.includes(n));
    trace?.add(
      `coordinating read at ${req.cl}, token ${token}, contacting ${first.map((n) => n.hostId).join(', ')}`,
    );

    const started = clock.monotonicMs();
    // One deadline for the whole read: a replica asked late (a spare) gets only what is left.
    const timeoutMs = this.timeoutFor(req);
    const deadline = started + timeoutMs;
    const responses = new Map<HostId, { node: RingNode; cell: Cell | undefined }>();
    const responded: RingNode[] = [];
    const contacted: RingNode[] = [];

    const gathered = await new Promise<typeof responses>((resolve, reject) => {
      let done = false;
      let failed = 0;
      const missed = new MissedReplies();
      // Cancelled once the read is settled: a timer left to fire would wake an idle node for nothing.
      let speculative: Timer | undefined;
      const finish = () => {
        done = true;
        speculative?.cancel();
      };
      const settleCheck = () => {
        if (done) return;
        if (isSatisfiedBy(requirement, responded)) {
          finish();
          // A snapshot: replies arriving later do not change what this read answers.
          resolve(new Map(responses));
        } else if (failed + responses.size === contacted.length && spare.length === 0) {
          finish();
          const required = requiredCount(requirement);
          const received = countTowards(requirement, responded);
          reject(
            new RingkvError(
              'READ_TIMEOUT',
              `${req.cl} needed ${required} replica response${required === 1 ? '' : 's'}, got ${received}${missed.why(timeoutMs)}`,
              {
                cl: req.cl,
                received,
                required,
                responded: [...responses.keys()],
                ...(missed.unreachable ? { unreachable: missed.unreachable } : {}),
                ...(missed.failures ? { failures: missed.failures } : {}),
                ...(trace ? { trace: trace.events } : {}),
              },
            ),
          );
        }
      };
      const ask = (node: RingNode, why: string) => {
        contacted.push(node);
        // A replica's latency counts from when it was asked, not from when the read began.
        const askedAt = clock.monotonicMs();
        trace?.add(`asking ${node.hostId} (${why})`);
        rpc
          .request(
            node.hostId,
            'replica_read',
            { keyspace: req.keyspace, key: req.key },
            Math.max(1, deadline - clock.monotonicMs()),
          )
          .then((r) => {
            const ms = clock.monotonicMs() - askedAt;
            this.deps.latency.record(node.hostId, ms);
            trace?.add(
              `reply from ${node.hostId} after ${ms.toFixed(2)} ms: ${describeCell(r.cell)}${done ? ' (late: the read had its answers)' : ''}`,
            );
            if (!responses.has(node.hostId)) responded.push(node);
            responses.set(node.hostId, { node, cell: r.cell });
            settleCheck();
          })
          .catch((e: unknown) => {
            failed++;
            missed.add(node.hostId, e);
            trace?.add(
              `no reply from ${node.hostId} after ${(clock.monotonicMs() - askedAt).toFixed(2)} ms: ${e instanceof Error ? e.message : String(e)}`,
            );
            // A failed replica is replaced at once by a spare, if there is one.
            const next = spare.shift();
            if (next) ask(next, `replacing ${node.hostId}`);
            settleCheck();
          });
      };
      for (const n of first) ask(n, 'needed for the CL');
      const percentile = req.speculativeRetryPercentile ?? options.speculativeRetryPercentile;
      const retryMs = this.speculativeDelayMs(req.speculativeRetryMs, percentile, first);
      if (retryMs !== undefined && spare.length > 0 && !done) {
        speculative = clock.setTimer(retryMs, () => {
          if (done) return;
          const next = spare.shift();
          if (next) {
            trace?.add(
              `speculative retry: ${[...contacted]
                .filter((n) => !responses.has(n.hostId))
                .map((n) => n.hostId)
                .join(
                  ', ',
                )} not answered after ${retryMs.toFixed(1)} ms (${req.speculativeRetryMs !== undefined ? 'fixed delay' : `${percentile}p of its latency`}), asking ${next.hostId}`,
            );
            ask(next, 'speculative retry');
          }
        });
      }
    });

    // Reconcile what the replicas said, and write the winner back to the stale ones before answering.
    let winner: Cell | undefined;
    for (const { cell } of gathered.values()) winner = reconcile(winner, cell);
    if (trace) trace.add(explainReconciliation(winner, [...gathered.values()]));
    const stale = [...gathered.values()].filter((r) => winner !== undefined && !cellsEqual(r.cell, winner));
    const repaired: HostId[] = [];
    if (winner && stale.length > 0) {
      const cell = winner;
      await Promise.all(
        stale.map(async ({ node }) => {
          trace?.add(`read repair: writing the winning cell to ${node.hostId}`);
          const repairStarted = clock.monotonicMs();
          try {
            await rpc.request(
              node.hostId,
              'replica_write',
              { keyspace: req.keyspace, key: req.key, cell },
              timeoutMs,
            );
            repaired.push(node.hostId);
            trace?.add(
              `read repair of ${node.hostId} done after ${(clock.monotonicMs() - repairStarted).toFixed(2)} ms`,
            );
          } catch (e) {
            trace?.add(`read repair to ${node.hostId} failed: ${e instanceof Error ? e.message : String(e)}`);
            const hinted = await this.deps.hints
              .store(node.hostId, req.keyspace, req.key, cell)
              .catch(() => undefined);
            if (hinted?.stored) trace?.add(`hint stored for ${node.hostId} (read repair failed)`);
          }
        }),
      );
    }
    const now = clock.nowMicros();
    const live = winner !== undefined && isLive(winner, now);
    return {
      found: live,
      ...(live && winner?.value ? { value: winner.value, timestamp: winner.timestamp } : {}),
      coordinator: view.selfId,
      replicas: [...gathered.keys()],
      repaired,
      ...(trace ? { trace: trace.events } : {}),
    };
  }

  /** Ourselves first (no hop), then our DC, then the fastest by recent latency. Sorts `nodes` in place. */
  private byProximity(nodes: RingNode[]): RingNode[] {
    const { view, latency } = this.deps;
    const score = (n: RingNode) =>
      n.hostId === view.selfId ? -1 : (n.dc === view.localDc ? 0 : 1_000_000) + (latency.ewma(n.hostId) ?? 0);
    return nodes.sort((a, b) => score(a) - score(b));
  }

  private speculativeDelayMs(
    requested: number | undefined,
    percentile: number,
    contacted: RingNode[],
  ): number | undefined {
    if (requested === 0) return undefined;
    if (requested !== undefined) return requested;
    let worst: number | undefined;
    for (const n of contacted) {
      if (n.hostId === this.deps.view.selfId) continue;
      const p = this.deps.latency.percentile(n.hostId, percentile);
      if (p === undefined) return undefined;
      worst = Math.max(worst ?? 0, p);
    }
    return worst;
  }
}

/**
 * Live natural replicas, then live pending ones: who gets a mutation; the down ones get hints.
 * With every replica up and no range moving, the natural replicas as they are.
 */
function liveAndDown(
  natural: readonly RingNode[],
  pending: readonly RingNode[],
  view: ClusterView,
): { targets: readonly RingNode[]; down: readonly RingNode[] } {
  if (pending.length === 0 && natural.every((n) => view.isAlive(n.hostId)))
    return { targets: natural, down: NO_NODES };
  const targets: RingNode[] = [];
  const down: RingNode[] = [];
  for (const n of natural) (view.isAlive(n.hostId) ? targets : down).push(n);
  for (const p of pending) if (view.isAlive(p.hostId)) targets.push(p);
  return { targets, down };
}

/** Joining replicas take writes too, and must ack as well, so a finished join misses nothing. */
function withPending(req: Requirement, pending: readonly RingNode[]): Requirement {
  if (pending.length === 0 || req.hintsCount) return req;
  const perDc = { ...req.perDc };
  for (const p of pending) if (p.dc in perDc) perDc[p.dc] = (perDc[p.dc] ?? 0) + 1;
  return { ...req, total: req.total > 0 ? req.total + pending.length : 0, perDc };
}

/** The fewest replicas, nearest first, that can meet the requirement if they all answer. */
function pickForRequirement(req: Requirement, ordered: readonly RingNode[]): RingNode[] {
  const picked: RingNode[] = [];
  const need = { ...req.perDc };
  for (const n of ordered) {
    if ((need[n.dc] ?? 0) > 0) {
      picked.push(n);
      need[n.dc] = (need[n.dc] ?? 0) - 1;
    }
  }
  for (const n of ordered) {
    if (picked.length >= req.total) break;
    if (!picked.includes(n)) picked.push(n);
  }
  return picked;
}

/** Which replica's cell won reconciliation and by which rule of last-write-wins, for traces. */
function explainReconciliation(
  winner: Cell | undefined,
  replies: readonly { node: RingNode; cell: Cell | undefined }[],
): string {
  if (winner === undefined)
    return `reconciled ${replies.length} repl${replies.length === 1 ? 'y' : 'ies'}: no replica has the key`;
  const holders = replies.filter((r) => cellsEqual(r.cell, winner)).map((r) => r.node.hostId);
  const losers = replies.filter((r) => !cellsEqual(r.cell, winner));
  const what = `${describeCell(winner)} from ${holders.join(', ')}`;
  if (losers.length === 0)
    return `reconciled ${replies.length} repl${replies.length === 1 ? 'y' : 'ies'}: all agree on ${what}`;
  const why = losers.map(({ node, cell }) => {
    if (!cell) return `${node.hostId} has no cell`;
    const reason = reconcileReason(winner, cell);
    const rule =
      reason === 'timestamp'
        ? 'higher timestamp'
        : reason === 'tombstone-tiebreak'
          ? 'equal timestamp, a tombstone beats a live value'
          : 'equal timestamp, the larger value bytes win';
    return `beats ${node.hostId}'s ${describeCell(cell)} (${rule})`;
  });
  return `reconciled ${replies.length} replies: ${what} wins; ${why.join('; ')}`;
}

function describeCell(cell: Cell | undefined): string {
  if (!cell) return 'no cell';
  return `${cell.value === null ? 'tombstone' : `${cell.value.length} bytes`} @${cell.timestamp}`;
}
