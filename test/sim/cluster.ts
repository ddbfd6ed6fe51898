import { loadMeta, saveMeta, type NodeMeta } from '../../src/node/meta.js';
import { RingkvNode, type NodeConfig } from '../../src/node/ringkv-node.js';
import { MemoryStorage } from '../../src/node/storage/memory.js';
import type { HostId, Logger } from '../../src/node/world.js';
import { formatToken } from '../../src/ring/partitioner.js';
import { randomTokens } from '../../src/ring/allocation.js';
import type { SimNetwork } from './network.js';
import type { Prng } from './prng.js';
import type { VirtualTime } from './virtual-time.js';

export const CLUSTER_NAME = 'sim';

export interface SimClusterOptions {
  nodes: number;
  numTokens: number;
  gossipIntervalMs: number;
  requestTimeoutMs: number;
  /** Each node's wall clock is off by up to this much, either way. */
  maxSkewMs: number;
  /** How long a simulated fsync takes, at most. */
  maxSyncMs: number;
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
  private readonly config: Omit<NodeConfig, 'address'>;

  constructor(
    private readonly time: VirtualTime,
    private readonly network: SimNetwork,
    private readonly rng: Prng,
    private readonly options: SimClusterOptions,
    private readonly loggerFor: (hostId: HostId) => Logger,
    private readonly journal: Journal,
  ) {
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
      ringDelayMs: options.gossipIntervalMs * 3,
      gcGraceSeconds: 10 * 24 * 3600,
    };
  }

  private storageOptions() {
    return {
      syncDelay: (sync: () => void) => this.time.schedule(this.rng.range(0.05, this.options.maxSyncMs), sync),
    };
  }

  /** Creates every node's disk with its identity and tokens, then starts them all. */
  async boot(): Promise<void> {
    const taken: bigint[] = [];
    for (let i = 1; i <= this.options.nodes; i++) {
      const tokens = randomTokens(this.options.numTokens, () => this.rng.next(), taken);
      taken.push(...tokens);
      const hostId = `n${i}`;
      const storage = new MemoryStorage(this.storageOptions());
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
      });
    }
    for (const n of this.nodes) this.journal(`${n.hostId} clock skew ${n.skewMs.toFixed(1)} ms`);
    await Promise.all(this.nodes.map((n) => this.time.settle(this.launch(n), 5000, `starting ${n.hostId}`)));
  }

  byId(hostId: HostId): SimNode {
    const n = this.nodes.find((x) => x.hostId === hostId);
    if (!n) throw new Error(`no node ${hostId}`);
    return n;
  }

  running(): SimNode[] {
    return this.nodes.filter((n) => n.node !== undefined);
  }

  /** The process dies: unsynced writes are lost, its timers and messages stop. */
  crash(hostId: HostId): void {
    const n = this.byId(hostId);
    if (!n.node && !n.starting) return;
    n.node = undefined;
    // A start in progress dies with the process: its promises never settle.
    n.starting = false;
    n.incarnation++;
    n.crashes++;
    this.network.detach(hostId);
    n.storage = n.storage.crash(this.storageOptions());
    this.journal(`${hostId} crashed`);
  }

  /** Starts a crashed node again on what its disk kept. */
  async restart(hostId: HostId): Promise<void> {
    const n = this.byId(hostId);
    if (n.node || n.starting) return;
    this.journal(`${hostId} restarting`);
    await this.launch(n);
  }

  private async launch(n: SimNode): Promise<void> {
    n.starting = true;
    try {
      await this.startProcess(n);
    } finally {
      n.starting = false;
    }
  }

  private async startProcess(n: SimNode): Promise<void> {
    const incarnation = n.incarnation;
    const alive = () => n.incarnation === incarnation;
    const clock = this.time.clockFor(() => n.skewMs, alive);
    const storage = n.storage;
    const meta = await loadMeta(storage);
    if (!meta) throw new Error(`${n.hostId} lost its meta`);
    // As the daemon does: a restart gossips a higher generation than anything said before.
    const generation = Math.max(Math.floor(clock.nowMicros() / 1000), meta.generation + 1);
    await saveMeta(storage, { ...meta, generation });
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
      { ...meta, generation },
      generation,
    );
    n.node = node;
    await node.start();
  }

  /** True when every running node sees every other running node UP. */
  converged(): boolean {
    const up = this.running();
    return up.every((a) => up.every((b) => a.node?.membership.isAlive(b.hostId) ?? false));
  }
}
