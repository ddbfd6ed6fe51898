import { InFlight } from '../../src/coordination/in-flight.js';
import { loadMeta, nextGeneration, saveMeta, type NodeMeta } from '../../src/node/meta.js';
import { RingkvNode, type NodeConfig } from '../../src/node/ringkv-node.js';
import { MemoryStorage } from '../../src/node/storage/memory.js';
import type { HostId, Logger } from '../../src/node/world.js';
import { nodeStopping } from '../../src/protocol/errors.js';
import { formatToken, parseToken } from '../../src/ring/partitioner.js';
import { randomTokens } from '../../src/ring/allocation.js';
import { TokenRing } from '../../src/ring/ring.js';
import type { SimNetwork } from './network.js';
import type { Prng } from './prng.js';
import type { VirtualTime } from './virtual-time.js';

export const CLUSTER_NAME = 'sim';

/** As the daemon: beyond the request timeout, the time a stopping node gives requests under way. */
const DRAIN_SLACK_MS = 500;

export interface SimClusterOptions {
  nodes: number;
  numTokens: number;
  gossipIntervalMs: number;
  requestTimeoutMs: number;
  /** Each node's wall clock is off by up to this much, either way. */
  maxSkewMs: number;
  /** How long a simulated fsync takes, at most. */
  maxSyncMs: number;
  /** How long a joining or leaving node lets its new status spread before it streams. */
  ringDelayMs: number;
  gcGraceSeconds: number;
  /** Each node's row cache, bytes; undefined: the default. */
  rowCacheBytes?: number | undefined;
}

/** One simulated process slot: a host id and its disk, and the node running on it, if any. */
export interface SimNode {
  hostId: HostId;
  address: string;
  skewMs: number;
  storage: MemoryStorage;
  node: RingkvNode | undefined;
  /** Bumped on every crash: the clock and transport of an older incarnation go silent. */
  incarnation: number;
  crashes: number;
  /** A restart is on its way (reading meta, starting up). */
  starting: boolean;
  /** Stopping as an operator stops it: it refuses new requests and lets those under way finish. */
  draining: boolean;
  /** Client requests the running process is serving. */
  serving: InFlight;
  /**
   * Stopped (as by SIGSTOP or a long GC pause): what would run in its process (timers, arrivals,
   * syncs, requests) waits in `held`, in order, and runs when it resumes; its peers see silence.
   */
  paused: boolean;
  held: (() => void)[];
  /** Its disk hangs until then (virtual ms): a sync issued before completes only after. */
  diskStalledUntil: number;
  /** The node's own word on its place in the ring, last heard (kept across crashes). */
  declared: Declared;
  /**
   * Gone for good: `decommissioned` (exited after LEFT), `dead` (crashed, never to restart: its
   * disk is lost), `removed` (dead, and removenode took it out of the ring).
   */
  retired: 'decommissioned' | 'dead' | 'removed' | undefined;
  /** When its process last exited because its start failed (an operator starts it again). */
  exitedAt: number | undefined;
  /** It decommissioned and its process exited as it asked to, rather than dying on the way. */
  leftCleanly: boolean;
}

/** A node's status and tokens as it states them itself. */
export interface Declared {
  status: 'JOINING' | 'NORMAL' | 'LEAVING' | 'LEFT';
  tokens: readonly string[];
}

/**
 * Where a node stands in the ring for the data path: `none` (not in the ring, or tokens not yet
 * announced), `pending` (joining with tokens: takes writes), `normal`, or `leaving`.
 */
export type RingRole = 'none' | 'pending' | 'normal' | 'leaving';

export function ringRole(s: Declared | undefined): RingRole {
  if (!s || s.tokens.length === 0 || s.status === 'LEFT') return 'none';
  return s.status === 'JOINING' ? 'pending' : s.status === 'NORMAL' ? 'normal' : 'leaving';
}

/** A line of what happened, for the trace of a failing seed. */
export type Journal = (line: string) => void;

/**
 * Nodes of one cluster in one process, each on its own MemoryStorage, skewed clock and simulated
 * transport. Every node starts with pre-assigned tokens and bootstrapped, as if the cluster had
 * formed earlier; a crash keeps exactly what was synced and a restart comes back on it with the
 * same host id and tokens and a higher gossip generation, as the daemon does.
 */
export class SimCluster {
  readonly nodes: SimNode[] = [];
  /** Things no node may do, seen as they happened (property e). */
  readonly anomalies: string[] = [];
  private readonly config: Omit<NodeConfig, 'address'>;
  /** Nodes whose disk failed a write, about to stop (see fillDisk). */
  private readonly stopping = new Map<HostId, () => void>();

  constructor(
    private readonly time: VirtualTime,
    private readonly network: SimNetwork,
    private readonly rng: Prng,
    private readonly options: SimClusterOptions,
    private readonly loggerFor: (hostId: HostId) => Logger,
    private readonly journal: Journal,
  ) {
    network.handOver = (to, receive) => this.run(to, receive);
    this.config = {
      clusterName: CLUSTER_NAME,
      dc: 'dc1',
      rack: 'r1',
      numTokens: options.numTokens,
      seeds: ['sim://n1', 'sim://n2'],
      autoJoin: true,
      requestTimeoutMs: options.requestTimeoutMs,
      maxValueBytes: 1 << 20,
      hintedHandoff: true,
      maxHintWindowMs: 3 * 3600_000,
      hintThrottleKiBPerSecond: 4096,
      phiConvictThreshold: 8,
      gossipIntervalMs: options.gossipIntervalMs,
      ringDelayMs: options.ringDelayMs,
      gcGraceSeconds: options.gcGraceSeconds,
      ...(options.rowCacheBytes !== undefined ? { rowCacheBytes: options.rowCacheBytes } : {}),
    };
  }

  /**
   * The disk of `hostId`: a sync waits out a stall of the disk, and one that completes while the
   * process is paused is seen on resume.
   */
  private storageOptions(hostId: HostId) {
    return {
      syncDelay: (sync: () => void) => {
        const delay = this.rng.range(0.05, this.options.maxSyncMs);
        const stalledUntil = this.nodes.find((x) => x.hostId === hostId)?.diskStalledUntil ?? 0;
        const stall = Math.max(0, stalledUntil - this.time.nowMs);
        this.time.schedule(stall + delay, () => this.run(hostId, sync));
      },
    };
  }

  /** The node's disk hangs for `ms` (a stalled fsync, a device resetting): its writes wait. */
  stallDisk(hostId: HostId, ms: number): void {
    const n = this.byId(hostId);
    n.diskStalledUntil = Math.max(n.diskStalledUntil, this.time.nowMs + ms);
  }

  /** Runs fn in the process of `hostId` now, or when it resumes if it is paused. */
  private run(hostId: HostId, fn: () => void): void {
    const n = this.nodes.find((x) => x.hostId === hostId);
    if (n?.paused) n.held.push(fn);
    else fn();
  }

  /**
   * Calls into a node as a client or an operator would: a paused node takes the call when it
   * resumes (the request waits in its socket), one that dies first never answers.
   */
  call<T>(hostId: HostId, fn: () => Promise<T>): Promise<T> {
    const n = this.byId(hostId);
    const serve = (): Promise<T> => {
      // As the daemon does: a stopping node begins nothing, so the client may go elsewhere.
      if (n.draining) return Promise.reject(nodeStopping('the node'));
      const serving = n.serving;
      serving.begin();
      const answer = fn();
      answer.then(
        () => serving.end(),
        () => serving.end(),
      );
      return answer;
    };
    if (!n.paused) return serve();
    return new Promise<T>((resolve, reject) =>
      n.held.push(() => {
        serve().then(resolve, reject);
      }),
    );
  }

  /** Stops the process where it is, as SIGSTOP does. False if it is not running. */
  pause(hostId: HostId): boolean {
    const n = this.byId(hostId);
    if (!n.node || n.starting || n.paused) return false;
    n.paused = true;
    return true;
  }

  /** Lets a paused process run again: what waited for it runs first, in the order it came. */
  resume(hostId: HostId): void {
    const n = this.byId(hostId);
    if (!n.paused) return;
    n.paused = false;
    const held = n.held;
    n.held = [];
    this.journal(`${hostId} resumed (${held.length} events waited)`);
    for (const fn of held) this.time.schedule(0, fn);
  }

  resumeAll(): void {
    for (const n of this.nodes) this.resume(n.hostId);
  }

  /** A process that dies paused never runs what waited for it. */
  private dropHeld(n: SimNode): void {
    n.paused = false;
    n.held = [];
  }

  /** Creates every node's disk with its identity and tokens, then starts them all. */
  async boot(): Promise<void> {
    const taken: bigint[] = [];
    for (let i = 1; i <= this.options.nodes; i++) {
      const tokens = randomTokens(this.options.numTokens, () => this.rng.next(), taken);
      taken.push(...tokens);
      const hostId = `n${i}`;
      const storage = new MemoryStorage(this.storageOptions(hostId));
      const meta: NodeMeta = {
        clusterName: CLUSTER_NAME,
        hostId,
        tokens: tokens.map(formatToken),
        bootstrapped: true,
        generation: 0,
        keyspaces: {},
      };
      await this.time.settle(saveMeta(storage, meta), 1000, `saving ${hostId}'s meta`);
      const skewMs = this.rng.range(-this.options.maxSkewMs, this.options.maxSkewMs);
      this.nodes.push({
        hostId,
        address: `sim://${hostId}`,
        skewMs,
        storage,
        node: undefined,
        incarnation: 0,
        crashes: 0,
        starting: false,
        draining: false,
        serving: new InFlight(),
        paused: false,
        held: [],
        diskStalledUntil: 0,
        declared: { status: 'NORMAL', tokens: meta.tokens },
        retired: undefined,
        exitedAt: undefined,
        leftCleanly: false,
      });
    }
    for (const n of this.nodes) this.journal(`${n.hostId} clock skew ${n.skewMs.toFixed(1)} ms`);
    await Promise.all(this.nodes.map((n) => this.time.settle(this.launch(n), 5000, `starting ${n.hostId}`)));
  }

  /**
   * A fresh node: an empty disk with a new host id and no tokens. It starts with autoJoin and the
   * seeds, so it contacts them, picks tokens, announces JOINING, streams, and becomes NORMAL. The
   * returned promise settles when its start (and so its join) does.
   */
  async addFresh(): Promise<SimNode> {
    const hostId = `n${this.nodes.length + 1}`;
    const storage = new MemoryStorage(this.storageOptions(hostId));
    const meta: NodeMeta = {
      clusterName: CLUSTER_NAME,
      hostId,
      tokens: [],
      bootstrapped: false,
      generation: 0,
      keyspaces: {},
    };
    await saveMeta(storage, meta);
    const n: SimNode = {
      hostId,
      address: `sim://${hostId}`,
      skewMs: this.rng.range(-this.options.maxSkewMs, this.options.maxSkewMs),
      storage,
      node: undefined,
      incarnation: 0,
      crashes: 0,
      starting: false,
      draining: false,
      serving: new InFlight(),
      paused: false,
      held: [],
      diskStalledUntil: 0,
      declared: { status: 'JOINING', tokens: [] },
      retired: undefined,
      exitedAt: undefined,
      leftCleanly: false,
    };
    this.nodes.push(n);
    this.journal(`${hostId} starts empty (clock skew ${n.skewMs.toFixed(1)} ms) and joins`);
    return n;
  }

  /** Starts a node created by addFresh (or restarts a crashed one); settles when its start does. */
  launchNode(hostId: HostId): Promise<void> {
    return this.launch(this.byId(hostId));
  }

  byId(hostId: HostId): SimNode {
    const n = this.nodes.find((x) => x.hostId === hostId);
    if (!n) throw new Error(`no node ${hostId}`);
    return n;
  }

  running(): SimNode[] {
    return this.nodes.filter((n) => n.node !== undefined);
  }

  /** Nodes that are, or will be again after a restart, part of the cluster. */
  members(): SimNode[] {
    return this.nodes.filter((n) => n.retired === undefined);
  }

  /** What each node says of itself, LEFT for a removed node: the ring as it really is now. */
  truthRole(hostId: HostId): RingRole {
    const n = this.nodes.find((x) => x.hostId === hostId);
    if (!n || n.retired === 'removed') return 'none';
    return ringRole(n.declared);
  }

  /** The ring of nodes that own data (NORMAL and LEAVING), by what every node says of itself. */
  truthRing(): TokenRing {
    return new TokenRing(
      this.nodes
        .filter((n) => ['normal', 'leaving'].includes(this.truthRole(n.hostId)))
        .map((n) => ({ hostId: n.hostId, dc: 'dc1', rack: 'r1', tokens: n.declared.tokens.map(parseToken) })),
    );
  }

  /** Nodes whose place in the ring `viewer` sees differently from what they say of themselves. */
  lagging(viewer: RingkvNode): HostId[] {
    const out: HostId[] = [];
    for (const n of this.nodes) {
      if (n.hostId === viewer.hostId) continue;
      const seen = viewer.membership.state(n.hostId);
      if (ringRole(seen) !== this.truthRole(n.hostId)) out.push(n.hostId);
    }
    return out;
  }

  /** A node's wall clock now, in microseconds, as its coordinator reads it. */
  wallMicros(hostId: HostId): number {
    return this.time
      .clockFor(
        () => this.byId(hostId).skewMs,
        () => true,
      )
      .nowMicros();
  }

  /**
   * The process exits for good (after a decommission, or a machine lost for good): its timers and
   * messages stop and nothing restarts it.
   */
  retire(hostId: HostId, why: 'decommissioned' | 'dead' | 'removed'): void {
    const n = this.byId(hostId);
    if (why === 'dead') this.crash(hostId);
    n.retired = why;
    if (!n.node && !n.starting) return;
    n.node?.stop();
    n.node = undefined;
    n.starting = false;
    // A stop under way ends with the process: left set, the driver would wait on it for ever.
    n.draining = false;
    n.incarnation++;
    this.dropHeld(n);
    this.network.detach(hostId);
    this.journal(`${hostId} exits (${why})`);
  }

  /** The process dies: unsynced writes are lost, its timers and messages stop. */
  crash(hostId: HostId): void {
    const n = this.byId(hostId);
    if (!n.node && !n.starting) return;
    n.node = undefined;
    // A start in progress dies with the process: its promises never settle.
    n.starting = false;
    n.draining = false;
    n.serving = new InFlight();
    n.incarnation++;
    n.crashes++;
    this.dropHeld(n);
    this.network.detach(hostId);
    n.storage = n.storage.crash(this.storageOptions(hostId));
    this.journal(`${hostId} crashed`);
  }

  /**
   * The node's disk fills: its next sync fails, and the node stops right after answering what
   * failed, as the daemon stops a node whose storage fails a write (a crash keeps exactly what
   * was synced, which is what a stop keeps too). It starts again, with room, like a crashed node.
   */
  fillDisk(hostId: HostId): void {
    const n = this.byId(hostId);
    if (!n.node) return;
    const incarnation = n.incarnation;
    this.journal(`${hostId}'s disk is full`);
    const stop = () => {
      this.stopping.delete(hostId);
      if (n.incarnation !== incarnation) return;
      this.journal(`${hostId} stops: a write found its disk full`);
      this.crash(hostId);
    };
    n.storage.failNextSync(new Error(`IO error: ${hostId}/000003.log: No space left on device`), () => {
      this.stopping.set(hostId, stop);
      this.time.schedule(0, stop);
    });
  }

  /**
   * Room on every disk again (healing): a fault that has not struck never will, and a node one
   * has struck stops now, so that healing finds it stopped and starts it again.
   */
  freeDisks(): void {
    for (const n of this.nodes) {
      n.storage.failNextSync(undefined);
      n.diskStalledUntil = 0;
    }
    for (const stop of [...this.stopping.values()]) stop();
  }

  /**
   * An operator stops the node (`ringkv stop`, SIGTERM), as the daemon does: it refuses new client
   * requests and tells its peers it is stopping, lets the requests under way answer and the writes
   * it coordinated hear from their replicas or hint them (a request timeout and a little at most),
   * then exits, keeping everything it wrote. Settles once it has exited, or at once if it is not
   * running; a crash on the way ends it as a crash.
   */
  async stop(hostId: HostId): Promise<void> {
    const n = this.byId(hostId);
    const node = n.node;
    if (!node || n.starting || n.draining || n.paused) return;
    const incarnation = n.incarnation;
    const alive = () => n.incarnation === incarnation && n.node === node;
    n.draining = true;
    this.journal(`${hostId} is stopped (as by \`ringkv stop\`): it tells its peers and drains`);
    const announced = node.announceShutdown();
    const settled = (async () => {
      await n.serving.idle();
      await node.writesSettled();
    })();
    // One limit for both (the announcement's own is shorter), which also ends the wait of a node
    // that crashed on the way: its promises never settle.
    await Promise.race([
      Promise.all([settled, announced]),
      this.time.sleep(this.options.requestTimeoutMs + DRAIN_SLACK_MS),
    ]);
    if (!alive()) return;
    node.stop();
    n.node = undefined;
    n.serving = new InFlight();
    n.incarnation++;
    this.network.detach(hostId);
    const storage = n.storage;
    await storage.close();
    // Closed, everything it wrote is on disk: the next process opens exactly that.
    n.storage = storage.crash(this.storageOptions(hostId));
    n.draining = false;
    this.journal(`${hostId} stopped`);
  }

  /** Starts a crashed or stopped node again on what its disk kept. */
  async restart(hostId: HostId): Promise<void> {
    const n = this.byId(hostId);
    if (n.node || n.starting || n.draining || n.retired) return;
    this.journal(`${hostId} restarting`);
    await this.launch(n);
  }

  /**
   * Starts the process; a start that fails (a join that could not stream, say) makes the process
   * exit, as the daemon does, keeping what its disk synced. Never rejects: whoever cares looks at
   * whether the node runs.
   */
  private async launch(n: SimNode): Promise<void> {
    n.starting = true;
    const incarnation = n.incarnation;
    try {
      await this.startProcess(n);
    } catch (e) {
      if (n.incarnation !== incarnation) return;
      this.journal(
        `${n.hostId} failed to start (${e instanceof Error ? e.message : String(e)}); its process exits`,
      );
      n.node?.stop();
      n.node = undefined;
      n.incarnation++;
      n.exitedAt = this.time.nowMs;
      this.dropHeld(n);
      this.network.detach(n.hostId);
      n.storage = n.storage.crash(this.storageOptions(n.hostId));
      // A decommissioned node that refuses to start again has left for good.
      if (n.declared.status === 'LEFT') n.retired = 'decommissioned';
    } finally {
      if (n.incarnation === incarnation || !n.node) n.starting = false;
    }
  }

  private async startProcess(n: SimNode): Promise<void> {
    const incarnation = n.incarnation;
    const alive = () => n.incarnation === incarnation;
    const clock = this.time.clockFor(
      () => n.skewMs,
      alive,
      (fn) => this.run(n.hostId, fn),
    );
    const storage = n.storage;
    const saved = await loadMeta(storage);
    if (!saved) throw new Error(`${n.hostId} lost its meta`);
    // As the daemon does: a restart gossips a higher generation than anything said before.
    const meta = await nextGeneration(storage, saved, clock.nowMicros());
    if (!alive()) return;
    const transport = this.network.attach(n.hostId);
    const node = new RingkvNode(
      { ...this.config, address: n.address },
      {
        clock,
        random: this.rng.fork(),
        transport,
        storage,
        logger: this.loggerFor(n.hostId),
        resolveSeed: (address) => {
          const seed = this.nodes.find((x) => x.address === address);
          const ok = seed?.node !== undefined && this.network.canReach(n.hostId, seed.hostId);
          return Promise.resolve(ok ? seed.hostId : undefined);
        },
      },
      meta,
    );
    n.node = node;
    // The node's own word on its status, as it changes: the truth the checker compares views with.
    const declare = () => {
      const self = node.membership.state(n.hostId);
      if (!self || !alive()) return;
      if (n.declared.status === 'LEFT' && self.status !== 'LEFT')
        this.anomalies.push(`${n.hostId} left the ring, then came back ${self.status} with its old data`);
      n.declared = { status: self.status, tokens: [...self.tokens] };
    };
    declare();
    node.membership.on((e) => {
      if (e.hostId === n.hostId) declare();
    });
    node.onStopRequested(() => {
      if (!alive()) return;
      n.leftCleanly = true;
      this.retire(n.hostId, 'decommissioned');
    });
    await node.start();
  }

  /** True when every running node sees every other running node UP. */
  converged(): boolean {
    const up = this.running();
    return up.every((a) => up.every((b) => a.node?.membership.isAlive(b.hostId) ?? false));
  }
}
