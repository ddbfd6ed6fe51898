import { Coordinator } from '../coordination/coordinator.js';
import { LatencyTracker } from '../coordination/latency.js';
import { ReplicaWriteBatcher } from '../coordination/replica-write-batcher.js';
import {
  fittingReplication,
  replicationAsFlags,
  replicationShortfall,
  sameReplication,
  type Replication,
} from '../protocol/consistency.js';
import { asRingkvError, nodeStopping, RingkvError, unknownKeyspace } from '../protocol/errors.js';
import { maxFrameBytesFor } from '../protocol/limits.js';
import type { UnansweredNode } from '../protocol/ops/healing.js';
import type { OpName, OpRequest, OpResult } from '../protocol/ops/index.js';
import { allocateTokens } from '../ring/allocation.js';
import { formatToken, parseToken } from '../ring/partitioner.js';
import type { TokenRange, TokenRing } from '../ring/ring.js';
import { rangeReplicas, replicaRanges, replicasFor } from '../ring/strategy.js';
import { PhiAccrualDetector } from './failure-detector.js';
import { HybridClock } from '../coordination/hlc.js';
import { HintDelivery, replayHints } from './hint-delivery.js';
import { HintStore } from './hints.js';
import { Membership, type MembershipEvent } from './membership.js';
import type { EndpointState } from './gossip/messages.js';
import { sameKeyspace } from './gossip/state.js';
import { saveMeta, type NodeMeta } from './meta.js';
import { Dispatcher, dataPathHandlers, type Origin } from './node.js';
import { NodeStats } from './stats.js';
import { RangeService } from './ranges.js';
import { Replica } from './replica.js';
import { DEFAULT_MAX_MERKLE_DEPTH, maxDepthForFrame } from './repair/merkle.js';
import { runRepair } from './repair/repair.js';
import { PeerRpc } from './rpc.js';
import { CellStore } from './storage/cell-store.js';
import { RangeStreamer } from './streaming.js';
import type { Clock, HostId, Logger, Random, Storage, Transport } from './world.js';

export interface NodeConfig {
  clusterName: string;
  /** ws://host:port peers and clients dial. */
  address: string;
  dc: string;
  rack: string;
  numTokens: number;
  seeds: string[];
  /** Join the ring at start (false: wait for `ringkv join`). */
  autoJoin: boolean;
  requestTimeoutMs: number;
  maxValueBytes: number;
  hintedHandoff: boolean;
  maxHintWindowMs: number;
  hintThrottleKiBPerSecond: number;
  phiConvictThreshold: number;
  gossipIntervalMs: number;
  /** How long a joining or leaving node lets its new status spread before it streams (Cassandra's ring delay). */
  ringDelayMs: number;
  /** Tombstones are kept this long, so repair cannot bring deleted data back; then they may be purged. */
  gcGraceSeconds: number;
  /** The row cache holds at most this many bytes (default DEFAULT_ROW_CACHE_BYTES, 64 MiB). */
  rowCacheBytes?: number;
}

export interface NodeWorld {
  clock: Clock;
  random: Random;
  transport: Transport;
  storage: Storage;
  logger: Logger;
  resolveSeed(address: string): Promise<HostId | undefined>;
}

/** Hint replay and load reports run this often. */
const HOUSEKEEPING_INTERVAL_MS = 10_000;
/** Tombstones older than gc_grace are looked for this often. */
const TOMBSTONE_PURGE_INTERVAL_MS = 3600_000;
/** How long a stopping node waits for its peers to take its announcement: a few round trips. */
const SHUTDOWN_ANNOUNCEMENT_TIMEOUT_MS = 500;
/** Balance tokens for this RF when no keyspace asks for more (Cassandra's allocate_tokens_for_local_replication_factor). */
const ALLOCATION_RF = 3;
/** Picks of fresh tokens a joining node makes when nodes joining with it picked the same ones. */
const MAX_TOKEN_PICKS = 5;

/**
 * One ringkv node: the coordinator, the replica, hints, repair, streaming and membership wired
 * to one Transport, Clock and Storage. The daemon runs it on ws and LevelDB; the simulation runs
 * many in one process on a simulated network.
 */
export class RingkvNode {
  readonly hostId: HostId;
  readonly membership: Membership;
  readonly cells: CellStore;
  readonly hints: HintStore;
  readonly rpc: PeerRpc;
  private readonly dispatcher = new Dispatcher();
  private readonly stats: NodeStats;
  private readonly hlc: HybridClock;
  private readonly delivery: HintDelivery;
  private readonly ranges: RangeService;
  private readonly streamer: RangeStreamer;
  private readonly coordinator: Coordinator;
  private housekeeping: { cancel(): void } | undefined;
  private stopRequested: (() => void) | undefined;
  private meta: NodeMeta;
  private joining: Promise<void> | undefined;
  /** Said to peers that this process stops; it answers no echo from here on. */
  private shuttingDown = false;

  constructor(
    private readonly config: NodeConfig,
    private readonly world: NodeWorld,
    meta: NodeMeta,
  ) {
    this.meta = meta;
    this.hostId = meta.hostId;
    const { clock, storage, logger } = world;
    this.stats = new NodeStats(clock);
    this.hlc = new HybridClock(() => clock.nowMicros());
    this.cells = new CellStore(storage, config.rowCacheBytes);
    this.rpc = new PeerRpc(
      this.hostId,
      world.transport,
      clock,
      (from, op, body) => this.dispatcher.dispatch(op, body, { kind: 'peer', hostId: from }),
      // Anywhere in 2^40, so that a restarted node's ids do not meet its previous process's.
      1 + Math.floor(world.random.next() * 2 ** 40),
    );
    // The detector's pauses scale with the gossip interval, so that a node gossiping every second
    // is convicted in about 10 s (Cassandra's feel) and a faster test cluster proportionally sooner.
    const detector = new PhiAccrualDetector({
      threshold: config.phiConvictThreshold,
      minStdDeviationMs: config.gossipIntervalMs,
      acceptablePauseMs: 3.5 * config.gossipIntervalMs,
      firstHeartbeatEstimateMs: config.gossipIntervalMs,
    });
    this.membership = new Membership({
      self: {
        hostId: this.hostId,
        generation: meta.generation,
        address: config.address,
        dc: config.dc,
        rack: config.rack,
        tokens: meta.tokens,
        status: meta.decommissioned
          ? 'LEFT'
          : meta.tokens.length > 0 && meta.bootstrapped
            ? 'NORMAL'
            : 'JOINING',
        load: 0,
        keyspaces: meta.keyspaces,
      },
      seeds: config.seeds,
      clock,
      random: world.random,
      rpc: this.rpc,
      detector,
      logger,
      gossipIntervalMs: config.gossipIntervalMs,
      resolveSeed: (a) => world.resolveSeed(a),
    });
    this.hints = new HintStore(
      storage,
      clock,
      { enabled: config.hintedHandoff, maxHintWindowMs: config.maxHintWindowMs },
      (t) => this.membership.downSinceMs(t),
    );
    this.delivery = new HintDelivery(this.hints, this.rpc, clock, (h) => this.membership.isAlive(h), logger, {
      throttleKiBPerSecond: config.hintThrottleKiBPerSecond,
      requestTimeoutMs: config.requestTimeoutMs * 5,
      batchSize: 100,
    });
    this.ranges = new RangeService(this.cells);
    this.streamer = new RangeStreamer(this.hostId, this.rpc, config.requestTimeoutMs * 10);
    this.coordinator = new Coordinator({
      view: this.membership,
      rpc: new ReplicaWriteBatcher(this.rpc, this.hostId, clock),
      clock,
      hlc: this.hlc,
      hints: this.hints,
      latency: new LatencyTracker(),
      logger,
      options: {
        requestTimeoutMs: config.requestTimeoutMs,
        maxValueBytes: config.maxValueBytes,
        speculativeRetryPercentile: 99,
      },
    });
    if (meta.peers) this.membership.restorePeers(meta.peers);
    this.registerHandlers();
    this.membership.on((e) => this.onMembership(e));
  }

  /** Address book for the transport: where a peer listens. */
  addressOf(hostId: HostId): string | undefined {
    return this.membership.addressOf(hostId);
  }

  /** Called when a client asks this node to stop. */
  onStopRequested(cb: () => void): void {
    this.stopRequested = cb;
  }

  handle(op: OpName, body: unknown, origin: Origin): Promise<unknown> {
    return this.dispatcher.dispatch(op, body, origin);
  }

  async start(): Promise<void> {
    if (this.meta.decommissioned) {
      // Writes for its ranges have gone elsewhere since: back in the ring with its old tokens, it
      // would answer reads with stale data and count towards quorums it no longer holds.
      throw new RingkvError(
        'REFUSED',
        'this node was decommissioned and its data is out of date: start it on an empty data directory to join it again',
      );
    }
    await this.hints.load();
    // Hints for a node that left while we were down, or before their truncation was synced, would
    // wait for it forever: no 'removed' event comes for a node our saved peers already have LEFT.
    for (const target of this.hints.targetsWithHints()) {
      if (this.membership.state(target)?.status === 'LEFT') await this.hints.forget(target);
    }
    if (this.meta.tokens.length === 0) {
      // A new node looks before it is seen: refused now, it leaves no trace in the others' rings.
      // Also with --no-join: it is a member from its first gossip, tokens or not.
      await this.membership.shadowRound();
      this.refuseTakenAddress();
    }
    this.membership.start();
    let lastPurgeMs = this.world.clock.monotonicMs();
    let clashReported = false;
    const loop = () => {
      this.delivery.kickAll();
      void this.reportLoad();
      // Joined with tokens another node holds (two joins closer together than gossip could tell
      // them apart): every ring is built without us, so say so rather than serve nothing quietly.
      const self = this.membership.state(this.hostId);
      if (
        !clashReported &&
        self?.status === 'NORMAL' &&
        this.membership.ring().node(this.hostId) === undefined
      ) {
        clashReported = true;
        this.world.logger.error(
          `this node is left out of the ring: its tokens clash with another node that joined at the same time; stop it, run "ringkv removenode ${this.hostId}" on another node, wipe its data folder and start it again`,
          { holder: this.membership.tokenClash(this.hostId, this.meta.tokens.map(parseToken)) },
        );
      }
      if (this.world.clock.monotonicMs() - lastPurgeMs >= TOMBSTONE_PURGE_INTERVAL_MS) {
        lastPurgeMs = this.world.clock.monotonicMs();
        void this.purgeTombstones();
      }
      this.housekeeping = this.world.clock.setTimer(HOUSEKEEPING_INTERVAL_MS, loop);
    };
    // Report the load at once, so that `status` does not show 0 B for the first interval.
    void this.reportLoad();
    this.housekeeping = this.world.clock.setTimer(HOUSEKEEPING_INTERVAL_MS, loop);
    if (this.meta.tokens.length > 0 && this.meta.bootstrapped) {
      // A restart: same host id and tokens, nothing to stream; gossip tells the others we are back.
      await this.membership.contactSeeds();
      return;
    }
    if (this.config.autoJoin) await this.join();
  }

  /** Resolves once every replica of every write this node coordinated has acked or been hinted. */
  writesSettled(): Promise<void> {
    return this.coordinator.writesSettled();
  }

  /**
   * Tells the peers that this node is stopping, so that they take it for DOWN now: they hint
   * its writes from the start instead of sending them to a node about to close, and `status`
   * says DN at once. Requests under way still finish.
   */
  announceShutdown(): Promise<void> {
    this.shuttingDown = true;
    return this.membership.announceShutdown(SHUTDOWN_ANNOUNCEMENT_TIMEOUT_MS);
  }

  stop(): void {
    this.membership.stop();
    this.delivery.stop();
    this.housekeeping?.cancel();
    this.rpc.failAll('the node is stopping');
  }

  // ---- lifecycle ----

  /** Joins the ring: pick tokens, announce JOINING, stream the ranges we will own, become NORMAL. */
  join(seeds?: string[]): Promise<void> {
    this.joining ??= this.bootstrap(seeds).finally(() => {
      this.joining = undefined;
    });
    return this.joining;
  }

  private async bootstrap(seeds?: string[]): Promise<void> {
    const { logger } = this.world;
    const list = (seeds ?? this.config.seeds).filter((s) => s !== this.config.address);
    if (this.membership.state(this.hostId)?.status === 'NORMAL') {
      throw new RingkvError('REFUSED', 'this node has already joined the ring');
    }
    let ring = this.membership.ring();
    if (list.length > 0) {
      const reached = await this.contactUntilRingKnown(list);
      if (!reached) {
        throw new RingkvError(
          'UNAVAILABLE',
          `no seed answered (${list.join(', ')}): start a seed first or fix --seeds`,
        );
      }
      ring = this.membership.ring();
    }
    this.refuseTakenAddress();
    let tokens = this.meta.tokens.length > 0 ? this.meta.tokens.map(parseToken) : this.pickTokens();
    await this.saveTokens(tokens);
    if (ring.size === 0) {
      logger.info('first node of the cluster: no data to stream', { tokens: tokens.length });
    } else {
      for (let attempt = 1; ; attempt++) {
        this.membership.updateLocal({ status: 'JOINING', tokens: this.meta.tokens });
        // Let every coordinator learn that we are a pending replica before we copy, so no write
        // falls in between; by then we have also heard of nodes that picked tokens at the same time.
        await this.sleep(this.config.ringDelayMs);
        const clash = this.membership.tokenClash(this.hostId, tokens);
        if (clash === undefined) break;
        if (attempt >= MAX_TOKEN_PICKS) {
          throw new RingkvError(
            'REFUSED',
            `the tokens picked ${attempt} times clashed with other joining nodes (last ${clash}): start nodes one at a time, then join again`,
          );
        }
        logger.warn('tokens clash with a node that joins at the same time: picking others', { with: clash });
        tokens = this.pickTokens();
        await this.saveTokens(tokens);
      }
      // The ring may have changed while we waited: stream from the one that stands now.
      const streamed = await this.streamForBootstrap(this.membership.ring(), tokens);
      logger.info('bootstrap streaming done', { cells: streamed });
    }
    this.meta = { ...this.meta, bootstrapped: true };
    await saveMeta(this.world.storage, this.meta);
    this.membership.updateLocal({ status: 'NORMAL', tokens: this.meta.tokens });
    logger.info('joined the ring', { tokens: tokens.length });
  }

  /**
   * Another member with our address is a node this one is meant to replace, started on a new data
   * folder before the old one was removed (Cassandra refuses this too, short of replace_address).
   * Joined beside it, the dead node would keep its ranges and this one would answer for its address.
   */
  private refuseTakenAddress(): void {
    const holder = this.membership
      .nodes()
      .find((n) => n.hostId !== this.hostId && n.address === this.config.address);
    if (holder === undefined) return;
    throw new RingkvError(
      'REFUSED',
      `${this.config.address} is the address of node ${holder.hostId} (${holder.status}) in the ring: to replace that node, run "ringkv removenode ${holder.hostId}" against a live node, then start this one again; to add a node, give it an address of its own`,
    );
  }

  /** Balanced tokens against the ring and the nodes joining it now, clear of all their tokens. */
  private pickTokens(): bigint[] {
    return allocateTokens(
      this.membership.ringWithJoining(this.hostId),
      this.allocationReplication(),
      { hostId: this.hostId, dc: this.config.dc, rack: this.config.rack },
      this.config.numTokens,
      () => this.world.random.next(),
    );
  }

  private async saveTokens(tokens: readonly bigint[]): Promise<void> {
    this.meta = { ...this.meta, tokens: tokens.map(formatToken), bootstrapped: false };
    await saveMeta(this.world.storage, this.meta);
  }

  private async contactUntilRingKnown(seeds: string[]): Promise<boolean> {
    const deadline = this.world.clock.monotonicMs() + 30_000;
    let reached = false;
    let stableRounds = 0;
    let lastCount = -1;
    while (this.world.clock.monotonicMs() < deadline) {
      reached = (await this.membership.contactSeeds(seeds)) || reached;
      await this.sleep(this.config.gossipIntervalMs / 2);
      const count = this.membership.nodes().length;
      stableRounds = count === lastCount && this.membership.ring().size > 0 ? stableRounds + 1 : 0;
      lastCount = count;
      if (reached && stableRounds >= 2) return true;
    }
    return reached && this.membership.ring().size > 0;
  }

  private allocationReplication(): Replication {
    let best: Replication = { strategy: 'simple', rf: ALLOCATION_RF };
    for (const r of this.membership.keyspaces().values()) {
      if (r.strategy === 'network' && (r.dcs[this.config.dc] ?? 0) > 0) best = r;
    }
    return best;
  }

  private async streamForBootstrap(current: TokenRing, tokens: bigint[]): Promise<number> {
    const me = { hostId: this.hostId, dc: this.config.dc, rack: this.config.rack, tokens };
    const future = current.withNode(me);
    let total = 0;
    const work = [...this.membership.keyspaces()].flatMap(([keyspace, replication]) =>
      replicaRanges(future, replication, this.hostId).map((range) => ({ keyspace, replication, range })),
    );
    let done = 0;
    this.membership.updateLocal({ streamProgress: 0 });
    for (const { keyspace, replication, range } of work) {
      // Stream from the replica that gives the range up to us (Cassandra's consistent range
      // movement): a write acknowledged at W may be on it and not on the others, and after the
      // join we stand in for it among the W. Only if no replica drops out may any one serve.
      const old = replicasFor(current, replication, range.end);
      const next = new Set(replicasFor(future, replication, range.end).map((n) => n.hostId));
      const givers = old.filter((n) => !next.has(n.hostId));
      const sources = (givers.length > 0 ? givers : old).filter((n) => this.membership.isAlive(n.hostId));
      const what = `range (${formatToken(range.start)}, ${formatToken(range.end)}] of keyspace ${keyspace}`;
      if (sources.length === 0) {
        // Joining without the range would count us towards quorums we cannot answer for: a
        // read at ONE through us would miss writes acknowledged at ALL.
        throw new RingkvError(
          'UNAVAILABLE',
          givers.length > 0
            ? `cannot stream ${what}: ${givers.map((n) => n.hostId).join(', ')}, which hands it over, is down: bring it up, then start this node again`
            : `no live replica of ${what} to stream from: bring its replicas up, then start this node again`,
        );
      }
      total += await this.pullFromFirst(sources, keyspace, range, what);
      done++;
      // Gossiped, so `status` anywhere shows how far the bootstrap is.
      this.membership.updateLocal({ streamProgress: done / work.length });
    }
    return total;
  }

  /**
   * Pulls a range from the first source that answers. A peer that died a moment ago is still UP
   * until the failure detector convicts it; when any replica may serve the range, the next one does.
   */
  private async pullFromFirst(
    sources: readonly { hostId: string }[],
    keyspace: string,
    range: TokenRange,
    what: string,
  ): Promise<number> {
    let lastError: unknown;
    for (const source of sources) {
      try {
        return await this.streamer.pull(source.hostId, keyspace, range);
      } catch (e) {
        lastError = e;
        this.world.logger.warn('streaming failed', { from: source.hostId, range: what, error: String(e) });
      }
    }
    throw new RingkvError(
      'UNAVAILABLE',
      `cannot stream ${what} from ${sources.map((n) => n.hostId).join(' or ')} (${asRingkvError(lastError).message}): bring it up, or wait until the others see it DOWN, then start this node again`,
    );
  }

  /** Streams every range we hold to the nodes that take it over, hands our hints on, then leaves. */
  async decommission(): Promise<OpResult<'decommission'>> {
    const ring = this.membership.ring();
    if (!ring.node(this.hostId))
      throw new RingkvError('REFUSED', 'this node does not own tokens: nothing to decommission');
    this.refuseWhileRangesMove('decommission', this.hostId);
    const remaining = ring.nodes().filter((n) => n.hostId !== this.hostId);
    for (const [name, r] of this.membership.keyspaces()) {
      // Only this node's data center loses a node; another one short already (a data center
      // named before its nodes start) is no reason to stay.
      const shortfall = replicationShortfall(r, remaining, this.config.dc);
      if (shortfall) {
        const left = `${shortfall.nodes} node${shortfall.nodes === 1 ? '' : 's'} would remain`;
        const short =
          shortfall.dc === undefined
            ? `${left} for RF ${shortfall.replicas}`
            : `${left} in ${shortfall.dc} for ${shortfall.replicas} replicas`;
        const fitting = fittingReplication(r, remaining);
        const lower = fitting
          ? `, or lower its replication: ringkv keyspace alter ${name} ${replicationAsFlags(fitting)}`
          : '';
        throw new RingkvError(
          'REFUSED',
          `cannot decommission: keyspace ${name} needs it (${short}); add a node first${lower}`,
        );
      }
    }
    const future = ring.withoutNode(this.hostId);
    const streams: { keyspace: string; range: TokenRange; to: HostId }[] = [];
    for (const [keyspace, replication] of this.membership.keyspaces()) {
      for (const r of rangeReplicas(ring, replication)) {
        if (!r.replicas.some((n) => n.hostId === this.hostId)) continue;
        const before = new Set(r.replicas.map((n) => n.hostId));
        for (const target of replicasFor(future, replication, r.end)) {
          if (!before.has(target.hostId)) streams.push({ keyspace, range: r, to: target.hostId });
        }
      }
    }
    // A node that is to take ranges over and is down would fail the decommission halfway.
    const down = [...new Set(streams.map((s) => s.to))].filter((h) => !this.membership.isAlive(h));
    if (down.length > 0) {
      const named = down.map((h) => `${h} (${this.addressOf(h) ?? 'address unknown'})`).join(', ');
      const remedy =
        down.length === 1
          ? `bring it back, or if it is gone for good run "ringkv removenode ${down[0]}"`
          : 'bring them back, or run "ringkv removenode HOST_ID" for each that is gone for good';
      throw new RingkvError(
        'REFUSED',
        `cannot decommission while ${named} ${down.length === 1 ? 'is' : 'are'} down: ${down.length === 1 ? 'it takes' : 'they take'} over ranges of this node; ${remedy}, then decommission again`,
      );
    }
    this.membership.updateLocal({ status: 'LEAVING' });
    await this.sleep(this.config.ringDelayMs);
    let keysStreamed = 0;
    try {
      for (const { keyspace, range, to } of streams)
        keysStreamed += await this.streamer.push(to, keyspace, range);
    } catch (e) {
      // Nothing is lost by stopping: this node still holds and serves its ranges, and the copies
      // already sent are dropped by cleanup.
      this.membership.updateLocal({ status: 'NORMAL' });
      const cause = asRingkvError(e);
      throw new RingkvError(
        'REFUSED',
        `decommission stopped: ${cause.message}; this node is NORMAL again and keeps its data: run decommission again once that is fixed`,
        { cause: { code: cause.code, message: cause.message } },
      );
    }
    await this.handOffHints();
    this.meta = { ...this.meta, decommissioned: true };
    await saveMeta(this.world.storage, this.meta);
    this.membership.updateLocal({ status: 'LEFT' });
    await this.spreadLeft();
    this.world.logger.info('decommissioned', { keysStreamed });
    afterReply(this.world.clock, () => this.stopRequested?.());
    return { hostId: this.hostId, keysStreamed };
  }

  /**
   * Makes sure the cluster heard our LEFT before the process exits: a node that never does keeps us
   * in its ring as LEAVING for good, and refuses every later decommission and removenode. Every
   * peer gets it from us directly, again until it confirms, for a while; one that cannot be reached
   * in that time learns it from those that did, which keep LEFT states. Until at least one peer has
   * it, we keep trying: cut off from the cluster, leaving now would leave it to nobody.
   */
  private async spreadLeft(): Promise<void> {
    const deadline =
      this.world.clock.monotonicMs() + Math.max(this.config.ringDelayMs, 30 * this.config.gossipIntervalMs);
    let unconfirmed = this.membership
      .nodes()
      .filter((n) => n.hostId !== this.hostId)
      .map((n) => n.hostId);
    let told = 0;
    for (;;) {
      const confirmed = new Set(await this.membership.announce(unconfirmed, this.config.requestTimeoutMs));
      told += confirmed.size;
      unconfirmed = unconfirmed.filter((h) => !confirmed.has(h));
      if (unconfirmed.length === 0 || (told > 0 && this.world.clock.monotonicMs() >= deadline)) return;
      await this.sleep(this.config.gossipIntervalMs);
    }
  }

  private async handOffHints(): Promise<void> {
    const heir = this.membership
      .nodes()
      .find((n) => n.hostId !== this.hostId && this.membership.isAlive(n.hostId));
    for (const target of this.hints.targetsWithHints()) {
      for (;;) {
        const batch = await this.hints.oldest(target, 100);
        if (batch.length === 0) break;
        if (heir?.hostId === target) {
          // The heir is the target itself: deliver, as a replay would.
          await replayHints(this.rpc, this.hints, target, batch, this.config.requestTimeoutMs);
          continue;
        }
        if (heir !== undefined) {
          for (const h of batch) {
            await this.rpc.request(
              heir.hostId,
              'hint_store',
              { target, keyspace: h.keyspace, key: h.key, cell: h.cell },
              this.config.requestTimeoutMs,
            );
          }
        }
        // With no live peer left to take them, the hints go with us.
        await this.hints.remove(batch);
      }
    }
  }

  /**
   * One range movement at a time (as Cassandra's consistent range movement): the targets of a
   * decommission or removenode come from the ring as it is now, and a node still joining or
   * leaving would change it under the stream, leaving its new ranges without their data.
   */
  private refuseWhileRangesMove(action: string, except: HostId): void {
    const moving = this.membership
      .nodes()
      .find(
        (n) =>
          n.hostId !== except && ((n.status === 'JOINING' && n.tokens.length > 0) || n.status === 'LEAVING'),
      );
    if (moving) {
      throw new RingkvError(
        'REFUSED',
        `cannot ${action} while ${moving.hostId} is ${moving.status}: wait until \`ringkv status\` shows it NORMAL or gone, then try again`,
      );
    }
  }

  /** Drops a dead node from the ring; the nodes that take over its ranges copy them from the survivors. */
  async removeNode(hostId: HostId): Promise<OpResult<'removenode'>> {
    if (hostId === this.hostId)
      throw new RingkvError('REFUSED', 'a node cannot remove itself: use decommission');
    const state = this.membership.state(hostId);
    if (!state || state.status === 'LEFT')
      throw new RingkvError('NOT_FOUND', `no node ${hostId} in the cluster`);
    if (this.membership.isAlive(hostId)) {
      throw new RingkvError('REFUSED', `node ${hostId} is UP: stop it first, or decommission it from itself`);
    }
    this.refuseWhileRangesMove('remove a node', hostId);
    const before = this.membership.ring();
    this.membership.removeNode(hostId);
    await this.hints.forget(hostId);
    // Until a coordinator learns of the removal it writes to the old replicas only; once every
    // coordinator writes to the new ones, the survivors hold everything the new replicas must copy.
    await this.sleep(this.config.ringDelayMs);
    const after = this.membership.ring();
    let keysStreamed = 0;
    for (const [keyspace, replication] of this.membership.keyspaces()) {
      // The ranges of the old ring: dropping the dead node's tokens merges each of its ranges into
      // the next one, so a range of the new ring may hold old ranges with other replicas (the dead
      // node's own primary ranges among them), while each old range has one new replica set.
      for (const r of rangeReplicas(before, replication)) {
        const old = r.replicas;
        if (!old.some((n) => n.hostId === hostId)) continue;
        const survivors = old.filter((n) => n.hostId !== hostId && this.membership.isAlive(n.hostId));
        const source = survivors[0];
        for (const target of replicasFor(after, replication, r.end)) {
          if (old.some((n) => n.hostId === target.hostId) || !source) continue;
          const body = {
            keyspace,
            start: formatToken(r.start),
            end: formatToken(r.end),
            from: source.hostId,
          };
          keysStreamed += (
            await this.rpc.request(target.hostId, 'range_pull', body, this.config.requestTimeoutMs * 100)
          ).cells;
        }
      }
    }
    return { hostId, keysStreamed };
  }

  // ---- events ----

  private onMembership(e: MembershipEvent): void {
    if (e.kind === 'up') {
      this.hints.remember(e.hostId);
      this.delivery.kick(e.hostId);
    }
    // Both write to storage, which can fail (a full disk stops the node): a rejection nobody
    // handles would take the process down with a stack trace instead.
    if (e.kind === 'removed') {
      this.hints.forget(e.hostId).catch(this.warnOnFailure('could not drop the hints for a removed node'));
    }
    if ((e.kind === 'changed' || e.kind === 'removed') && e.hostId !== this.hostId) {
      this.persistKeyspaces().catch(this.warnOnFailure('could not save the keyspaces and peers'));
    }
  }

  private warnOnFailure(message: string, fields: Record<string, unknown> = {}): (e: unknown) => void {
    return (e) =>
      this.world.logger.warn(message, { ...fields, error: e instanceof Error ? e.message : String(e) });
  }

  /** Saves the keyspaces and the peers' ring placement when they changed, so a restart starts from them. */
  private async persistKeyspaces(): Promise<void> {
    const keyspaces = this.membership.gossiper.keyspaces();
    const peers = [...this.membership.gossiper.states().values()].filter((s) => s.hostId !== this.hostId);
    const placement = (list: readonly EndpointState[]) =>
      JSON.stringify(
        list
          .map((s) => [s.hostId, s.address, s.dc, s.rack, s.status, s.tokens])
          .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      );
    const saved = this.meta.keyspaces;
    const keyspacesChanged =
      Object.keys(keyspaces).length !== Object.keys(saved).length ||
      Object.entries(keyspaces).some(
        ([name, k]) => !Object.hasOwn(saved, name) || !sameKeyspace(k, saved[name]!),
      );
    if (!keyspacesChanged && placement(peers) === placement(this.meta.peers ?? [])) return;
    this.meta = { ...this.meta, keyspaces: { ...keyspaces }, peers: peers.map((s) => ({ ...s })) };
    await saveMeta(this.world.storage, this.meta);
  }

  /** Drops tombstones (and expired values) older than gc_grace: by then repair has spread them. */
  async purgeTombstones(): Promise<number> {
    const before = this.world.clock.nowMicros() - this.config.gcGraceSeconds * 1_000_000;
    let purged = 0;
    for (const keyspace of this.membership.keyspaces().keys()) {
      // A failed purge (a full disk) loses nothing: the cells stay, and the next round tries again.
      purged += await this.cells.purgeTombstones(keyspace, before).catch((e: unknown) => {
        this.warnOnFailure('could not purge tombstones past gc_grace; trying again within the hour', {
          keyspace,
        })(e);
        return 0;
      });
    }
    if (purged > 0) this.world.logger.info('purged tombstones past gc_grace', { purged });
    return purged;
  }

  private async reportLoad(): Promise<void> {
    try {
      this.membership.updateLocal({ load: await this.world.storage.approximateSize() });
    } catch {
      // load is informational
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.world.clock.setTimer(ms, resolve));
  }

  // ---- requests ----

  private registerHandlers(): void {
    const d = this.dispatcher;
    d.registerAll(dataPathHandlers(this.coordinator, new Replica(this.cells, this.hlc), this.stats));
    d.register('topology', () => Promise.resolve(this.membership.topology(this.config.clusterName)));
    d.register('clock_probe', () =>
      // Peers echo a node before they take it for UP: one that said it is stopping must not pass.
      this.shuttingDown
        ? Promise.reject(nodeStopping('the node'))
        : Promise.resolve({ wallClockMs: this.world.clock.nowMicros() / 1000 }),
    );
    d.register('gossip_shutdown', (_body, origin) => {
      if (origin.kind !== 'peer') throw new RingkvError('UNAUTHORIZED', 'gossip is for peers');
      this.membership.peerShutdown(origin.hostId);
      return Promise.resolve({});
    });
    d.register('keyspace_create', async (body) => {
      const existing = this.membership.replication(body.name);
      if (existing) {
        throw new RingkvError('INVALID_REQUEST', `keyspace "${body.name}" already exists`, {
          keyspace: body.name,
        });
      }
      this.membership.createKeyspace(body.name, body.replication, this.hlc.now());
      await this.persistKeyspaces();
      return { name: body.name, replication: body.replication };
    });
    d.register('keyspace_alter', async (body) => {
      const previous = this.membership.replication(body.name);
      if (!previous) throw unknownKeyspace(body.name);
      // The same replication again changes nothing, and need not outrank a concurrent change.
      if (!sameReplication(previous, body.replication)) {
        this.membership.alterKeyspace(body.name, body.replication, this.hlc.now());
        await this.persistKeyspaces();
      }
      return { name: body.name, replication: body.replication, previous };
    });
    d.register('stop', () => {
      afterReply(this.world.clock, () => this.stopRequested?.());
      return Promise.resolve({ hostId: this.hostId });
    });
    d.register('join', async (body) => {
      await this.join(body.seeds);
      return { hostId: this.hostId, tokens: this.meta.tokens.length };
    });
    d.register('decommission', () => this.decommission());
    d.register('removenode', (body) => this.removeNode(body.hostId));
    d.register('gossip_syn', (body, origin) => this.gossip(body, origin));
    d.register('gossip_ack', (body, origin) => this.gossip(body, origin));
    d.register('gossip_ack2', (body, origin) => this.gossip(body, origin));
    d.register('hint_store', (body) =>
      this.hints.store(body.target, body.keyspace, body.key, body.cell as never),
    );
    d.register('hints_list', (body) => this.listHints(body.local ?? false));
    d.register('hints_truncate', (body) => this.truncateHints(body.target, body.local ?? false));
    d.register('merkle_tree', (body) => this.ranges.merkleTree(body));
    d.register('range_scan', (body) => this.ranges.scan(body));
    d.register('range_pull', async (body) => ({
      cells: await this.streamer.pull(body.from, body.keyspace, {
        start: parseToken(body.start),
        end: parseToken(body.end),
      }),
    }));
    d.register('repair', (body, origin) => this.repair(body, origin));
    d.register('cleanup', (body) => this.cleanup(body.keyspace));
    d.register('stats', () => Promise.resolve(this.statsNow()));
  }

  private statsNow(): OpResult<'stats'> {
    const { stats } = this;
    const { syncs, writes, largestGroup } = this.world.storage.stats;
    return {
      hostId: this.hostId,
      address: this.config.address,
      uptimeMs: stats.uptimeMs(),
      coordinator: {
        writes: stats.writes.summary(),
        reads: stats.reads.summary(),
        readRepairs: stats.readRepairs,
      },
      replica: { writes: stats.replicaWrites, reads: stats.replicaReads },
      hints: { stored: this.hints.stored, delivered: this.delivery.delivered },
      storage: { syncs, writes, largestGroup },
      rowCache: this.cells.rowCacheStats,
    };
  }

  /** Drops what this node holds of ranges it no longer replicates (nodetool cleanup). */
  private async cleanup(only: string | undefined): Promise<OpResult<'cleanup'>> {
    const status = this.membership.state(this.hostId)?.status;
    if (status !== 'NORMAL') {
      throw new RingkvError(
        'REFUSED',
        `this node is ${status ?? 'not in the ring'}: run cleanup once it is NORMAL (see ringkv status)`,
      );
    }
    this.refuseWhileRangesMove('clean up', this.hostId);
    if (only !== undefined && !this.membership.replication(only)) throw unknownKeyspace(only);
    const started = this.world.clock.monotonicMs();
    const keyspaces: { keyspace: string; dropped: number }[] = [];
    for (const keyspace of only !== undefined ? [only] : [...this.membership.keyspaces().keys()]) {
      // Judged against the ring as it is when each key is dropped, not as it was when cleanup began.
      const dropped = await this.cells.dropCells(keyspace, (token) => !this.replicates(keyspace, token));
      // As Cassandra's cleanup rewrites its tables: the space comes back now, not at some later compaction.
      if (dropped > 0) await this.cells.compact(keyspace);
      keyspaces.push({ keyspace, dropped });
    }
    const dropped = keyspaces.reduce((sum, k) => sum + k.dropped, 0);
    this.world.logger.info('cleanup dropped the cells of ranges this node no longer replicates', { dropped });
    await this.reportLoad();
    return {
      hostId: this.hostId,
      keyspaces,
      dropped,
      durationMs: Math.round(this.world.clock.monotonicMs() - started),
    };
  }

  /** Whether this node replicates the token, or is about to (a range moving to it): then it keeps it. */
  private replicates(keyspace: string, token: bigint): boolean {
    const replication = this.membership.replication(keyspace);
    // Nothing is dropped on a judgement that cannot be made.
    if (!replication) return true;
    const self = (n: { hostId: string }) => n.hostId === this.hostId;
    return (
      replicasFor(this.membership.ring(), replication, token).some(self) ||
      this.membership.pendingReplicas(replication, token).some(self)
    );
  }

  private gossip(body: Parameters<Membership['receive']>[1], origin: Origin): Promise<Record<string, never>> {
    if (origin.kind !== 'peer') throw new RingkvError('UNAUTHORIZED', 'gossip is for peers');
    this.membership.receive(origin.hostId, body);
    return Promise.resolve({});
  }

  private async listHints(localOnly: boolean): Promise<OpResult<'hints_list'>> {
    const mine = (await this.hints.summary()).map((s) => ({
      holder: this.hostId,
      target: s.target,
      count: s.count,
      bytes: s.bytes,
      oldest: s.oldest,
      pastWindow: this.hints.pastWindow(s.target),
    }));
    if (localOnly) return { hints: mine };
    const { answers, unanswered } = await this.askEveryOtherNode('hints_list', { local: true });
    return { hints: [...mine, ...answers.flatMap((r) => r.hints)], unanswered };
  }

  private async truncateHints(
    target: string | undefined,
    localOnly: boolean,
  ): Promise<OpResult<'hints_truncate'>> {
    // A typo in a host id would otherwise drop nothing and pass, or wait on every node to say so.
    if (target !== undefined && !localOnly && !this.membership.state(target))
      throw new RingkvError('NOT_FOUND', `no node ${target} in the cluster: see ringkv status for host ids`);
    const mine = await this.hints.truncate(target);
    if (localOnly) return { truncated: mine };
    // A node holds no hints for itself: the target's own silence leaves none of them behind.
    const { answers, unanswered } = await this.askEveryOtherNode(
      'hints_truncate',
      { ...(target ? { target } : {}), local: true },
      target,
    );
    return { truncated: answers.reduce((n, r) => n + r.truncated, mine), unanswered };
  }

  /**
   * Asks every other member at once; a node that is down or does not answer is named with why,
   * so that a cluster-wide answer never passes for a whole one when it is not.
   */
  private async askEveryOtherNode<K extends OpName>(
    op: K,
    body: OpRequest<K>,
    except?: HostId,
  ): Promise<{ answers: OpResult<K>[]; unanswered: UnansweredNode[] }> {
    const answers: OpResult<K>[] = [];
    const unanswered: UnansweredNode[] = [];
    await Promise.all(
      this.membership
        .nodes()
        .filter((n) => n.hostId !== this.hostId && n.hostId !== except)
        .map(async (n) => {
          if (!this.membership.isAlive(n.hostId)) {
            unanswered.push({
              hostId: n.hostId,
              address: n.address,
              error: { code: 'UNAVAILABLE', message: 'the node is down' },
            });
            return;
          }
          try {
            answers.push(await this.rpc.request(n.hostId, op, body, this.config.requestTimeoutMs));
          } catch (e) {
            const { code, message } = asRingkvError(e);
            unanswered.push({ hostId: n.hostId, address: n.address, error: { code, message } });
          }
        }),
    );
    // In a stable order, whichever answered first.
    unanswered.sort((a, b) => a.address.localeCompare(b.address));
    return { answers, unanswered };
  }

  private async repair(body: OpRequest<'repair'>, origin: Origin) {
    const replication = this.membership.replication(body.keyspace);
    if (!replication) throw unknownKeyspace(body.keyspace);
    return runRepair(
      {
        self: this.hostId,
        ring: this.membership.ring(),
        replication,
        isAlive: (h) => this.membership.isAlive(h),
        channel: this.rpc,
        streamer: this.streamer,
        clock: this.world.clock,
        logger: this.world.logger,
        timeoutMs: this.config.requestTimeoutMs,
        maxTreeDepth: Math.min(
          DEFAULT_MAX_MERKLE_DEPTH,
          maxDepthForFrame(maxFrameBytesFor(this.config.maxValueBytes)),
        ),
      },
      body,
      (p) => {
        if (origin.kind === 'client') origin.push?.('repair_progress', p);
      },
    );
  }
}

/** Time for a reply to leave before the node acts on it (stops, or exits after leaving). */
const REPLY_GRACE_MS = 50;

function afterReply(clock: Clock, fn: () => void): void {
  clock.setTimer(REPLY_GRACE_MS, fn);
}
