import type {
  AlteredKeyspace,
  ClusterApi,
  EndpointsResult,
  GetResult,
  HintSummary,
  HintsReport,
  HintsTruncated,
  KeyspaceInfo,
  PutResult,
  RepairOptions,
  RepairProgress,
  RepairSummary,
  RequestOptions,
  NodeCleanupEntry,
  NodeStatsEntry,
  RingEntry,
  StatusResult,
  TraceEvent,
  UnansweredNode,
  WriteOptions,
} from '../../../src/client/api.js';
import {
  requirementFor,
  requiredCount,
  totalReplicationFactor,
  type Replication,
} from '../../../src/protocol/consistency.js';
import { RingkvError } from '../../../src/protocol/errors.js';

/**
 * An in-memory cluster with the ClusterApi shape: a ring of evenly interleaved vnodes, simple
 * replication, nodes that can be marked DOWN, and requests that can be held open to test
 * cancellation. Deterministic: timestamps count up from a fixed epoch.
 */

interface FakeNode {
  hostId: string;
  address: string;
  state: 'UP' | 'DOWN';
  tokens: bigint[];
}

interface StoredCell {
  value: string | undefined;
  timestamp: number;
}

const minToken = -(2n ** 63n);
const span = 2n ** 64n;

/** FNV-1a 64 as a signed token: spreads keys over the ring without needing the real partitioner. */
export function fakeTokenOf(key: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of new TextEncoder().encode(key)) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return BigInt.asIntN(64, h);
}

const text = (k: string | Uint8Array) => (typeof k === 'string' ? k : new TextDecoder().decode(k));

export class FakeCluster implements ClusterApi {
  readonly nodes: FakeNode[];
  readonly keyspaceList: KeyspaceInfo[] = [{ name: 'default', replication: { strategy: 'simple', rf: 3 } }];
  readonly data = new Map<string, StoredCell>();
  hintList: HintSummary[] = [];
  /** Nodes whose hints a listing or a truncate could not reach. */
  silentNodes: UnansweredNode[] = [];
  /** Every call, in order, as `name arg...`. */
  readonly calls: string[] = [];
  private nextTimestamp = 1_700_000_000_000_000;
  private listeners = new Set<() => void>();
  private held: (() => void)[] = [];
  private holding = false;
  private failures: RingkvError[] = [];
  closed = false;
  /** Copies a node keeps of keys it no longer replicates (after an alter to fewer), by "node/keyspace". */
  readonly staleCopies = new Map<string, number>();
  /** Ranges the next repairs report as failed (a replica down). */
  unrepairable: RepairSummary['failedRanges'] = [];

  constructor(nodeCount = 3, tokensPerNode = 4) {
    this.nodes = Array.from({ length: nodeCount }, (_, i) => ({
      hostId: `node-${i + 1}`,
      address: `127.0.0.1:740${i + 1}`,
      state: 'UP' as const,
      tokens: Array.from(
        { length: tokensPerNode },
        (_, j) => minToken + (BigInt(j * nodeCount + i) * span) / BigInt(nodeCount * tokensPerNode) + 1n,
      ),
    }));
  }

  setState(hostId: string, state: 'UP' | 'DOWN'): void {
    const node = this.nodes.find((n) => n.hostId === hostId);
    if (!node) throw new Error(`no node ${hostId}`);
    node.state = state;
    for (const l of this.listeners) l();
  }

  /** Requests made from now on wait until release(). */
  hold(): void {
    this.holding = true;
  }

  release(): void {
    this.holding = false;
    const waiting = this.held;
    this.held = [];
    for (const w of waiting) w();
  }

  /** The next data request fails with this error. */
  failNext(error: RingkvError): void {
    this.failures.push(error);
  }

  private async gate(call: string): Promise<void> {
    this.calls.push(call);
    if (this.holding) await new Promise<void>((resolve) => this.held.push(resolve));
    const failure = this.failures.shift();
    if (failure) throw failure;
  }

  private replication(keyspace: string): Replication {
    const ks = this.keyspaceList.find((k) => k.name === keyspace);
    if (!ks) throw new RingkvError('INVALID_REQUEST', `no keyspace "${keyspace}"`);
    return ks.replication;
  }

  ringEntries(): RingEntry[] {
    return this.nodes
      .flatMap((n) => n.tokens.map((t) => ({ token: t, hostId: n.hostId, address: n.address })))
      .sort((a, b) => (a.token < b.token ? -1 : a.token > b.token ? 1 : 0))
      .map((e) => ({ token: e.token.toString(), hostId: e.hostId, address: e.address }));
  }

  replicasOf(key: string, keyspace: string): FakeNode[] {
    const rf = totalReplicationFactor(this.replication(keyspace));
    const token = fakeTokenOf(key);
    const ring = this.ringEntries();
    const start = Math.max(
      0,
      ring.findIndex((e) => BigInt(e.token) >= token),
    );
    const chosen: FakeNode[] = [];
    for (let i = 0; i < ring.length && chosen.length < rf; i++) {
      const e = ring[(start + i) % ring.length]!;
      const node = this.nodes.find((n) => n.hostId === e.hostId)!;
      if (!chosen.includes(node)) chosen.push(node);
    }
    return chosen;
  }

  private coordinate(key: string, opts: RequestOptions, op: string) {
    const replicas = this.replicasOf(key, opts.keyspace);
    const alive = replicas.filter((r) => r.state === 'UP');
    const required = requiredCount(requirementFor(opts.cl, this.replication(opts.keyspace), 'dc1'));
    if (alive.length < required) {
      throw new RingkvError('UNAVAILABLE', `not enough replicas alive for ${opts.cl}`, {
        required,
        alive: alive.length,
        cl: opts.cl,
      });
    }
    const coordinator = alive[0]?.hostId ?? this.nodes[0]!.hostId;
    const trace: TraceEvent[] = [
      { at: 0, node: coordinator, event: `${op} received, coordinator chosen` },
      { at: 120, node: coordinator, event: `sent to ${replicas.map((r) => r.hostId).join(', ')}` },
      ...alive.map((r, i) => ({
        at: 400 + i * 300,
        node: r.hostId,
        event: `ack (${((400 + i * 300) / 1000).toFixed(2)} ms)`,
      })),
    ];
    return { alive, coordinator, trace: opts.trace ? trace : undefined };
  }

  private write(key: string, value: string | undefined, opts: WriteOptions, op: string): PutResult {
    const { alive, coordinator, trace } = this.coordinate(key, opts, op);
    const timestamp = opts.timestamp ?? this.nextTimestamp++;
    this.data.set(`${opts.keyspace}/${key}`, { value, timestamp });
    return {
      key,
      keyspace: opts.keyspace,
      cl: opts.cl,
      timestamp,
      acks: alive.map((r) => r.hostId),
      hinted: [],
      coordinator,
      ...(trace ? { trace } : {}),
    };
  }

  async put(key: string | Uint8Array, value: string | Uint8Array, opts: WriteOptions): Promise<PutResult> {
    await this.gate(`put ${text(key)} ${text(value)} ${opts.cl}`);
    return this.write(text(key), text(value), opts, 'put');
  }

  async del(key: string | Uint8Array, opts: WriteOptions): Promise<PutResult> {
    await this.gate(`del ${text(key)} ${opts.cl}`);
    return this.write(text(key), undefined, opts, 'del');
  }

  async get(key: string | Uint8Array, opts: RequestOptions): Promise<GetResult> {
    await this.gate(`get ${text(key)} ${opts.cl}`);
    const k = text(key);
    const { alive, coordinator, trace } = this.coordinate(k, opts, 'get');
    const cell = this.data.get(`${opts.keyspace}/${k}`);
    const found = cell !== undefined && cell.value !== undefined;
    return {
      key: k,
      keyspace: opts.keyspace,
      cl: opts.cl,
      found,
      ...(found && cell.value !== undefined
        ? { value: cell.value, valueEncoding: 'utf8' as const, timestamp: cell.timestamp }
        : {}),
      coordinator,
      replicas: alive.map((r) => r.hostId),
      repaired: [],
      ...(trace ? { trace } : {}),
    };
  }

  async status(keyspace: string): Promise<StatusResult> {
    await this.gate(`status ${keyspace}`);
    const rf = totalReplicationFactor(this.replication(keyspace));
    const owns = Math.min(1, rf / this.nodes.length);
    return {
      keyspace,
      nodes: this.nodes.map((n) => ({
        hostId: n.hostId,
        address: n.address,
        dc: 'dc1',
        rack: 'rack1',
        state: n.state,
        status: 'NORMAL',
        tokens: n.tokens.length,
        owns,
        load: 2048,
      })),
      warnings: [],
    };
  }

  async ring(): Promise<RingEntry[]> {
    await this.gate('ring');
    return this.ringEntries();
  }

  async endpoints(key: string | Uint8Array, keyspace: string): Promise<EndpointsResult> {
    await this.gate(`endpoints ${text(key)}`);
    return {
      key: text(key),
      keyspace,
      token: fakeTokenOf(text(key)).toString(),
      replicas: this.replicasOf(text(key), keyspace).map((n) => ({
        hostId: n.hostId,
        address: n.address,
        dc: 'dc1',
        rack: 'rack1',
        state: n.state,
      })),
    };
  }

  async keyspaces(): Promise<KeyspaceInfo[]> {
    await this.gate('keyspaces');
    return [...this.keyspaceList];
  }

  async createKeyspace(name: string, replication: Replication): Promise<KeyspaceInfo> {
    await this.gate(`createKeyspace ${name}`);
    const ks = { name, replication };
    this.keyspaceList.push(ks);
    for (const l of this.listeners) l();
    return ks;
  }

  async alterKeyspace(name: string, replication: Replication): Promise<AlteredKeyspace> {
    await this.gate(`alterKeyspace ${name}`);
    const ks = this.keyspaceList.find((k) => k.name === name);
    if (!ks) throw new RingkvError('INVALID_REQUEST', `unknown keyspace "${name}"`);
    const previous = ks.replication;
    const keys = [...this.data.keys()]
      .filter((k) => k.startsWith(`${name}/`))
      .map((k) => k.slice(name.length + 1));
    const before = keys.map((k) => this.replicasOf(k, name));
    ks.replication = replication;
    // Replicas a key lost keep their copies until cleanup, as real nodes do.
    keys.forEach((k, i) => {
      const now = this.replicasOf(k, name);
      for (const n of before[i] ?? []) {
        if (now.includes(n)) continue;
        const at = `${n.hostId}/${name}`;
        this.staleCopies.set(at, (this.staleCopies.get(at) ?? 0) + 1);
      }
    });
    for (const l of this.listeners) l();
    return { name, replication, previous };
  }

  /** node-1 coordinated every request this fake answered; a DOWN node gives no answer. */
  async cleanupEveryNode(keyspace?: string): Promise<NodeCleanupEntry[]> {
    await this.gate(`cleanup ${keyspace ?? '*'}`);
    const names = keyspace !== undefined ? [keyspace] : this.keyspaceList.map((k) => k.name);
    return this.nodes.map((node) => {
      if (node.state === 'DOWN') {
        return {
          hostId: node.hostId,
          address: `ws://${node.address}`,
          error: { code: 'NO_HOST_AVAILABLE', message: `cannot reach ws://${node.address}` },
        };
      }
      const keyspaces = names.map((name) => {
        const dropped = this.staleCopies.get(`${node.hostId}/${name}`) ?? 0;
        this.staleCopies.delete(`${node.hostId}/${name}`);
        return { keyspace: name, dropped };
      });
      const dropped = keyspaces.reduce((sum, k) => sum + k.dropped, 0);
      return { hostId: node.hostId, keyspaces, dropped, durationMs: 12 };
    });
  }

  async statsOfEveryNode(): Promise<NodeStatsEntry[]> {
    await this.gate('stats');
    const requests = (verb: string) => this.calls.filter((c) => c.startsWith(verb)).length;
    const coordinated = (n: number) => ({
      requests: n,
      failed: {},
      latency: n > 0 ? { p50: 0.5, p90: 0.9, p99: 1.5, max: 2 } : { p50: 0, p90: 0, p99: 0, max: 0 },
    });
    return this.nodes.map((node, i) => {
      if (node.state === 'DOWN') {
        return {
          hostId: node.hostId,
          address: `ws://${node.address}`,
          error: { code: 'NO_HOST_AVAILABLE', message: `cannot reach ws://${node.address}` },
        };
      }
      const mine = (verb: string) => (i === 0 ? requests(verb) : 0);
      return {
        hostId: node.hostId,
        address: `ws://${node.address}`,
        uptimeMs: 90_000,
        coordinator: {
          writes: coordinated(mine('put ') + mine('del ')),
          reads: coordinated(mine('get ')),
          readRepairs: 0,
        },
        replica: { writes: requests('put ') + requests('del '), reads: requests('get ') },
        hints: { stored: 0, delivered: 0 },
        storage: { syncs: 4, writes: 10, largestGroup: 4 },
      };
    });
  }

  async hints(): Promise<HintsReport> {
    await this.gate('hints');
    return { hints: [...this.hintList], unanswered: [...this.silentNodes] };
  }

  async truncateHints(target?: string): Promise<HintsTruncated> {
    await this.gate(`truncateHints ${target ?? ''}`);
    const before = this.hintList.reduce((a, h) => a + h.count, 0);
    this.hintList = target ? this.hintList.filter((h) => h.target !== target) : [];
    return {
      truncated: before - this.hintList.reduce((a, h) => a + h.count, 0),
      unanswered: [...this.silentNodes],
    };
  }

  async repair(
    opts: RepairOptions,
    onProgress?: (p: RepairProgress) => void,
    signal?: AbortSignal,
  ): Promise<RepairSummary> {
    await this.gate(
      `repair ${opts.keyspace}${opts.primaryRangeOnly ? ' --pr' : ''}${opts.allRanges ? ' --all-ranges' : ''}`,
    );
    const ranges = this.ringEntries().length;
    for (let done = 1; done <= ranges; done++) {
      if (signal?.aborted) throw new RingkvError('REFUSED', 'repair cancelled');
      onProgress?.({ rangesDone: done, ranges, keysStreamed: done });
      await Promise.resolve();
    }
    return {
      keyspace: opts.keyspace,
      ranges,
      mismatched: 2,
      keysStreamed: ranges,
      bytesStreamed: ranges * 100,
      durationMs: 42,
      failedRanges: this.unrepairable,
      preview: opts.preview,
    };
  }

  contactAddress(): string {
    return this.nodes[0]!.address;
  }

  onTopologyChange(cb: () => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  async close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
