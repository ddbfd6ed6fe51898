import type { ClusterView } from '../coordination/cluster-view.js';
import { PendingRanges } from '../coordination/pending.js';
import type { Replication } from '../protocol/consistency.js';
import type { OpResult } from '../protocol/ops/index.js';
import type { NODE_STATUSES } from '../protocol/ops/cluster.js';
import { parseToken } from '../ring/partitioner.js';
import { NO_NODES, TokenRing, withJoining, withoutTokenClashes, type RingNode } from '../ring/ring.js';
import type { PhiAccrualDetector } from './failure-detector.js';
import { Gossiper, type GossipOutput, type LocalNodeInfo, type LocalPatch } from './gossip/gossiper.js';
import type { EndpointState, GossipMessage, KeyspaceDefinition } from './gossip/messages.js';
import { alteredKeyspace } from './gossip/state.js';
import type { PeerRpc } from './rpc.js';
import type { Clock, HostId, Logger, Random, Timer } from './world.js';

/** DESIGN.md: the keyspace `default` exists from the start, the same on every node. */
export const DEFAULT_KEYSPACES: Record<string, KeyspaceDefinition> = {
  default: { replication: { strategy: 'simple', rf: 3 }, createdAtMicros: 0 },
};

export interface MembershipDeps {
  self: LocalNodeInfo;
  seeds: readonly string[];
  clock: Clock;
  random: Random;
  rpc: PeerRpc;
  detector: PhiAccrualDetector;
  logger: Logger;
  gossipIntervalMs: number;
  /** The host id behind a seed address (a handshake with it), or undefined if it does not answer. */
  resolveSeed(address: string): Promise<HostId | undefined>;
}

export type MembershipEvent = { kind: 'up' | 'down' | 'changed' | 'removed'; hostId: HostId };

/**
 * A liveness check this many gossip intervals after the last one means this process did not run
 * in between (SIGSTOP, a long GC pause, a blocked event loop): every peer looks silent, though
 * what they sent meanwhile waits unread. Convictions are held for as long again, so that it is
 * read first (Cassandra's max local pause, 5 s for 1 s gossip).
 */
const LOCAL_PAUSE_INTERVALS = 5;

/** How long a shadow round waits for a seed's states, in gossip intervals. */
const SHADOW_ROUND_INTERVALS = 3;

/** A clock probe's answer older than this says little about the offset. */
const CLOCK_PROBE_MAX_RTT_MS = 200;

/** A node as gossip knows it, for status, topology and the node's own decisions. */
export interface NodeEntry extends RingNode {
  address: string;
  status: (typeof NODE_STATUSES)[number];
  load: number;
  /** While JOINING or LEAVING: the share of its ranges already streamed (0..1). */
  streamProgress?: number | undefined;
  /** The node's wall clock minus ours, in ms, when last heard; undefined for ourselves or unknown. */
  clockOffsetMs?: number;
}

/**
 * The gossip driver: runs the pure Gossiper on a timer, feeds heartbeats to the phi-accrual
 * failure detector, and turns what they know into the ClusterView the coordinator reads
 * (the ring of owning nodes, keyspaces, who is alive, pending replicas while nodes move).
 */
export class Membership implements ClusterView {
  readonly gossiper: Gossiper;
  readonly selfId: HostId;
  readonly localDc: string;
  private readonly up = new Set<HostId>();
  private readonly downSince = new Map<HostId, number>();
  private readonly seedIds = new Map<HostId, string>();
  private readonly clockOffsets = new Map<HostId, number>();
  /** Peers asked whether they are alive, not answered yet. */
  private readonly echoing = new Set<HostId>();
  private readonly listeners = new Set<(e: MembershipEvent) => void>();
  private ringCache: TokenRing | undefined;
  private pendingCache: PendingRanges | undefined;
  private keyspaceCache: Map<string, Replication> | undefined;
  /** placementKey() of the states the caches above were built from; undefined: not known. */
  private cachedFrom: string | undefined;
  private timer: Timer | undefined;
  private stopped = false;
  /** Set while a shadow round waits: told of every ack, which carries a seed's states. */
  private shadowAnswered: ((from: HostId) => void) | undefined;
  private lastLivenessCheckMs: number | undefined;
  /** No peer is convicted before this (monotonic ms): this process was paused. */
  private noConvictionUntilMs = 0;

  constructor(private readonly deps: MembershipDeps) {
    this.gossiper = new Gossiper({
      self: { ...deps.self, keyspaces: { ...DEFAULT_KEYSPACES, ...deps.self.keyspaces } },
      seeds: deps.seeds,
      random: () => deps.random.next(),
      nowMs: this.nowMs(),
    });
    this.selfId = deps.self.hostId;
    this.localDc = deps.self.dc;
  }

  /** Wall clock: gossip's generations and versions are times that other nodes compare. */
  private nowMs(): number {
    return this.deps.clock.nowMicros() / 1000;
  }

  /** Monotonic: silences and outages are durations, which a step of the wall clock must not fake. */
  private elapsedMs(): number {
    return this.deps.clock.monotonicMs();
  }

  start(): void {
    this.stopped = false;
    const loop = () => {
      if (this.stopped) return;
      this.tick();
      this.timer = this.deps.clock.setTimer(this.deps.gossipIntervalMs, loop);
    };
    loop();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  on(listener: (e: MembershipEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: MembershipEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.deps.logger.error('membership listener failed', { error: String(err) });
      }
    }
  }

  /** One gossip round plus a liveness check of every peer. */
  tick(): void {
    const now = this.nowMs();
    const out = this.gossiper.tick(now);
    this.process(out);
    for (const dial of out.dial) void this.dialSeed(dial.address, dial.message);
    const probe = out.send[0]?.to;
    if (probe) void this.probeClock(probe);
    this.checkLiveness();
  }

  /**
   * Learns the cluster from the seeds without telling it about us, before gossip starts: true once
   * a seed's states arrived, false when none answered within a few gossip intervals.
   */
  async shadowRound(seeds: readonly string[] = this.deps.seeds): Promise<boolean> {
    // Peers restored from disk may be out of date (a node since removed): only a seed's answer counts.
    const asked = new Set<HostId>();
    let settle: (answered: boolean) => void = () => undefined;
    const answered = new Promise<boolean>((resolve) => (settle = resolve));
    this.shadowAnswered = (from) => {
      if (asked.has(from)) settle(true);
    };
    let timer: Timer | undefined;
    try {
      for (const address of seeds) {
        if (address === this.deps.self.address) continue;
        const hostId = await this.resolveSeed(address);
        if (hostId === undefined) continue;
        asked.add(hostId);
        this.sendGossip(hostId, this.gossiper.shadowSyn());
      }
      if (asked.size === 0) return false;
      // The wait starts once the syns are out: dialling a slow seed does not use it up.
      timer = this.deps.clock.setTimer(this.deps.gossipIntervalMs * SHADOW_ROUND_INTERVALS, () =>
        settle(false),
      );
      return await answered;
    } finally {
      timer?.cancel();
      this.shadowAnswered = undefined;
    }
  }

  /** Pulls the cluster's state from the seeds before anything else; true when a seed answered. */
  async contactSeeds(seeds: readonly string[] = this.deps.seeds): Promise<boolean> {
    let reached = false;
    for (const address of seeds) {
      if (address === this.deps.self.address) continue;
      const hostId = await this.resolveSeed(address);
      if (!hostId) continue;
      reached = true;
      this.sendGossip(hostId, this.gossiper.syn());
    }
    return reached;
  }

  private async resolveSeed(address: string): Promise<HostId | undefined> {
    for (const [id, a] of this.seedIds) if (a === address) return id;
    const hostId = await this.deps.resolveSeed(address).catch(() => undefined);
    if (hostId && hostId !== this.selfId) this.seedIds.set(hostId, address);
    return hostId === this.selfId ? undefined : hostId;
  }

  private async dialSeed(address: string, syn: GossipMessage): Promise<void> {
    const hostId = await this.resolveSeed(address);
    if (hostId) this.sendGossip(hostId, syn);
  }

  /**
   * Peers remembered from before a restart: the ring is known at once, and each peer stays DOWN
   * until gossip hears from it (Cassandra's saved endpoints). Their heartbeats are ignored here.
   */
  restorePeers(states: readonly EndpointState[]): void {
    const out = this.gossiper.applyStates(
      states.filter((s) => s.hostId !== this.selfId),
      this.nowMs(),
    );
    for (const h of out.changed) if (h !== this.selfId) this.gossiper.markDead(h);
    if (out.changed.length > 0) this.invalidate();
  }

  receive(from: HostId, message: GossipMessage): void {
    // Stopped, or announcing that we stop: what we would answer would make us look alive.
    if (this.stopped) return;
    this.process(this.gossiper.receive(from, message, this.nowMs()));
    if (message.kind === 'ack') this.shadowAnswered?.(from);
  }

  /**
   * Hands our own state straight to each of `peers` instead of waiting for gossip to carry it, and
   * answers those that confirmed they have it. For news that must not get lost with us, such as a
   * decommissioned node's LEFT just before its process exits.
   */
  async announce(peers: readonly HostId[], timeoutMs: number): Promise<HostId[]> {
    const message = { kind: 'ack2' as const, states: [{ ...this.gossiper.local() }], beats: [] };
    const confirmed = await Promise.all(
      peers.map((to) =>
        this.deps.rpc.request(to, 'gossip_ack2', message, timeoutMs).then(
          () => to,
          () => undefined,
        ),
      ),
    );
    return confirmed.filter((h): h is HostId => h !== undefined);
  }

  private sendGossip(to: HostId, message: GossipMessage): void {
    const timeoutMs = this.deps.gossipIntervalMs * 2;
    const sent =
      message.kind === 'syn'
        ? this.deps.rpc.request(to, 'gossip_syn', message, timeoutMs)
        : message.kind === 'ack'
          ? this.deps.rpc.request(to, 'gossip_ack', message, timeoutMs)
          : this.deps.rpc.request(to, 'gossip_ack2', message, timeoutMs);
    // Gossip is best effort: a lost message is made up by the next round.
    sent.catch(() => undefined);
  }

  private process(out: GossipOutput): void {
    for (const s of out.send) this.sendGossip(s.to, s.message);
    const now = this.elapsedMs();
    for (const h of out.heartbeats) {
      if (h === this.selfId) continue;
      this.deps.detector.heartbeat(h, now);
      if (!this.up.has(h) && this.state(h)?.status !== 'LEFT') void this.echo(h);
    }
    if (out.changed.length > 0) {
      this.invalidateIfPlacementChanged();
      for (const h of out.changed) {
        const s = this.state(h);
        if (s?.status === 'LEFT' && h !== this.selfId) {
          this.up.delete(h);
          this.deps.detector.remove(h);
          this.emit({ kind: 'removed', hostId: h });
        } else {
          this.emit({ kind: 'changed', hostId: h });
        }
      }
    }
  }

  private checkLiveness(): void {
    const now = this.elapsedMs();
    const last = this.lastLivenessCheckMs;
    this.lastLivenessCheckMs = now;
    const pauseMs = LOCAL_PAUSE_INTERVALS * this.deps.gossipIntervalMs;
    if (last !== undefined && now - last > pauseMs) {
      this.noConvictionUntilMs = now + pauseMs;
      this.deps.logger.warn(
        'this node did not run for a while: no peer is marked DOWN until gossip catches up',
        {
          pausedMs: Math.round(now - last),
          holdMs: pauseMs,
        },
      );
    }
    if (now < this.noConvictionUntilMs) return;
    for (const [h, s] of this.gossiper.states()) {
      if (h === this.selfId || s.status === 'LEFT') continue;
      if (this.up.has(h) && !this.deps.detector.isAvailable(h, now)) this.markDown(h);
    }
  }

  /**
   * A heartbeat says a peer was alive when it beat: maybe seconds ago, and passed on by others (a
   * node just restarted hears the last beats of a peer that died since from the nodes that still
   * hold them). So, as Cassandra echoes a node before it marks it alive, a peer is UP only once it
   * answers us itself; one echo at a time per peer, since its heartbeats come every round.
   */
  private async echo(h: HostId): Promise<void> {
    if (this.echoing.has(h)) return;
    this.echoing.add(h);
    const answered = await this.probeClock(h);
    this.echoing.delete(h);
    if (answered && !this.stopped && !this.up.has(h) && this.state(h)?.status !== 'LEFT') this.markUp(h);
  }

  /**
   * Stops gossip and tells every peer we see UP that this node is going down, waiting at most
   * `timeoutMs` for them to take it: a peer that misses it convicts us as a crash in ten seconds.
   */
  async announceShutdown(timeoutMs: number): Promise<void> {
    this.stop();
    await Promise.all(
      [...this.up].map((to) =>
        this.deps.rpc.request(to, 'gossip_shutdown', {}, timeoutMs).catch(() => undefined),
      ),
    );
  }

  /**
   * A peer said it is stopping: DOWN now. It stops answering echoes as it says so, so only the
   * next process of that node, answering one, is UP again.
   */
  peerShutdown(h: HostId): void {
    if (!this.up.has(h)) return;
    this.deps.logger.info('node is stopping', { hostId: h, address: this.state(h)?.address });
    this.markDown(h);
  }

  private markUp(h: HostId): void {
    this.up.add(h);
    this.downSince.delete(h);
    this.gossiper.markAlive(h);
    this.deps.logger.info('node is UP', { hostId: h, address: this.state(h)?.address });
    this.emit({ kind: 'up', hostId: h });
  }

  private markDown(h: HostId): void {
    this.up.delete(h);
    this.downSince.set(h, this.elapsedMs());
    this.gossiper.markDead(h);
    this.deps.logger.warn('node is DOWN', { hostId: h, address: this.state(h)?.address });
    this.emit({ kind: 'down', hostId: h });
  }

  /** Estimates the peer's clock offset; true when it answered. */
  private async probeClock(to: HostId): Promise<boolean> {
    const t0 = this.nowMs();
    const started = this.deps.clock.monotonicMs();
    try {
      const r = await this.deps.rpc.request(to, 'clock_probe', {}, this.deps.gossipIntervalMs);
      const rtt = this.deps.clock.monotonicMs() - started;
      if (rtt <= CLOCK_PROBE_MAX_RTT_MS) this.clockOffsets.set(to, r.wallClockMs - (t0 + rtt / 2));
      return true;
    } catch {
      // the failure detector judges liveness; a lost probe only leaves the old estimate
      return false;
    }
  }

  // ---- our own state ----

  updateLocal(patch: LocalPatch): void {
    if (this.gossiper.localUpdate(patch)) {
      this.invalidateIfPlacementChanged();
      this.emit({ kind: 'changed', hostId: this.selfId });
    }
  }

  createKeyspace(name: string, replication: Replication, createdAtMicros: number): KeyspaceDefinition {
    const existing = this.gossiper.keyspaces()[name];
    if (existing) return existing;
    this.updateLocal({ keyspaces: { [name]: { replication, createdAtMicros } } });
    return this.gossiper.keyspaces()[name] as KeyspaceDefinition;
  }

  /** Gives an existing keyspace a new replication, which wins over every definition of it we know. */
  alterKeyspace(name: string, replication: Replication, nowMicros: number): void {
    const existing = this.gossiper.keyspaces()[name];
    if (existing)
      this.updateLocal({ keyspaces: { [name]: alteredKeyspace(existing, replication, nowMicros) } });
  }

  /** removenode: only for a node we see DOWN. */
  removeNode(hostId: HostId): boolean {
    const removed = this.gossiper.removeNode(hostId, this.nowMs());
    if (removed) {
      this.up.delete(hostId);
      this.deps.detector.remove(hostId);
      this.invalidate();
      this.emit({ kind: 'removed', hostId });
    }
    return removed;
  }

  // ---- ClusterView ----

  private invalidate(): void {
    this.ringCache = undefined;
    this.pendingCache = undefined;
    this.keyspaceCache = undefined;
    this.cachedFrom = undefined;
  }

  /**
   * Every node's load is gossiped every 10 s and changes under any write, and each change is a
   * change of its state: rebuilding the ring and its replica placement for it cost 1.3 ms at 10
   * nodes of 256 tokens and 4.7 ms at 30, on the request path of whichever request came next.
   * The caches are built from status, location, tokens and keyspaces only, so a change that
   * leaves those as they were keeps them.
   */
  private invalidateIfPlacementChanged(): void {
    const key = this.placementKey();
    if (key === this.cachedFrom) return;
    this.invalidate();
    this.cachedFrom = key;
  }

  /** What the ring, the pending ranges and the keyspaces are built from, for every node gossip knows. */
  private placementKey(): string {
    const parts: string[] = [];
    for (const [h, s] of this.gossiper.states()) {
      parts.push(`${h} ${s.status} ${s.dc} ${s.rack} ${s.tokens.join(',')} ${JSON.stringify(s.keyspaces)}`);
    }
    return parts.join('\n');
  }

  state(hostId: HostId): Readonly<EndpointState> | undefined {
    return this.gossiper.states().get(hostId);
  }

  addressOf(hostId: HostId): string | undefined {
    return this.state(hostId)?.address ?? this.seedIds.get(hostId);
  }

  /** When the peer was convicted, on the monotonic clock; undefined while it is UP. */
  downSinceMs(hostId: HostId): number | undefined {
    return this.downSince.get(hostId);
  }

  private ringNode(s: Readonly<EndpointState>): RingNode {
    return { hostId: s.hostId, dc: s.dc, rack: s.rack, tokens: s.tokens.map(parseToken) };
  }

  ring(): TokenRing {
    this.ringCache ??= new TokenRing(
      withoutTokenClashes(
        [...this.gossiper.states().values()]
          .filter((s) => (s.status === 'NORMAL' || s.status === 'LEAVING') && s.tokens.length > 0)
          .map((s) => this.ringNode(s)),
      ).kept,
    );
    return this.ringCache;
  }

  /**
   * The ring as it will be once the nodes now joining have joined, without `except`: what a node
   * that is about to pick tokens must balance against and keep clear of.
   */
  ringWithJoining(except: HostId): TokenRing {
    return withJoining(
      this.ring(),
      this.joiningNodes().filter((n) => n.hostId !== except),
    );
  }

  /** Nodes that announced JOINING with their tokens. */
  private joiningNodes(): RingNode[] {
    return [...this.gossiper.states().values()]
      .filter((s) => s.status === 'JOINING' && s.tokens.length > 0)
      .map((s) => this.ringNode(s));
  }

  /**
   * Another node that holds one of `tokens` and keeps them: any node of the ring, or a joining one
   * with a smaller host id (the larger gives way, see withoutTokenClashes).
   */
  tokenClash(self: HostId, tokens: readonly bigint[]): HostId | undefined {
    const mine = new Set(tokens);
    for (const s of this.gossiper.states().values()) {
      if (s.hostId === self) continue;
      const keeps =
        s.status === 'NORMAL' || s.status === 'LEAVING' || (s.status === 'JOINING' && s.hostId < self);
      if (keeps && s.tokens.some((t) => mine.has(parseToken(t)))) return s.hostId;
    }
    return undefined;
  }

  replication(keyspace: string): Replication | undefined {
    return this.keyspaces().get(keyspace);
  }

  keyspaces(): ReadonlyMap<string, Replication> {
    this.keyspaceCache ??= new Map(
      Object.entries(this.gossiper.keyspaces()).map(([n, d]) => [n, d.replication]),
    );
    return this.keyspaceCache;
  }

  isAlive(hostId: HostId): boolean {
    return hostId === this.selfId || this.up.has(hostId);
  }

  node(hostId: HostId): NodeEntry | undefined {
    const s = this.state(hostId);
    return s ? this.entry(s) : undefined;
  }

  nodes(): readonly NodeEntry[] {
    return [...this.gossiper.states().values()].filter((s) => s.status !== 'LEFT').map((s) => this.entry(s));
  }

  private entry(s: Readonly<EndpointState>): NodeEntry {
    const offset = this.clockOffsets.get(s.hostId);
    return {
      ...this.ringNode(s),
      address: s.address,
      status: s.status,
      load: s.load,
      ...(s.streamProgress !== undefined && s.status !== 'NORMAL'
        ? { streamProgress: s.streamProgress }
        : {}),
      ...(offset !== undefined ? { clockOffsetMs: offset } : {}),
    };
  }

  pendingReplicas(replication: Replication, token: bigint): readonly RingNode[] {
    if (!this.pendingCache) {
      const leaving = [...this.gossiper.states().values()]
        .filter((s) => s.status === 'LEAVING')
        .map((s) => s.hostId);
      this.pendingCache = new PendingRanges(this.ring(), this.joiningNodes(), leaving);
    }
    return this.pendingCache.active ? this.pendingCache.replicasFor(replication, token) : NO_NODES;
  }

  topology(clusterName: string): OpResult<'topology'> {
    const keyspaces: Record<string, Replication> = Object.fromEntries(this.keyspaces());
    return {
      clusterName,
      hostId: this.selfId,
      nodes: this.nodes().map((n) => ({
        hostId: n.hostId,
        address: n.address,
        dc: n.dc,
        rack: n.rack,
        tokens: n.tokens.map(String),
        status: n.status,
        state: this.isAlive(n.hostId) ? 'UP' : 'DOWN',
        load: n.load,
        ...(n.streamProgress !== undefined ? { streamProgress: n.streamProgress } : {}),
        ...(n.clockOffsetMs !== undefined ? { clockOffsetMs: n.clockOffsetMs } : {}),
      })),
      keyspaces,
    };
  }
}
