import type { Replication } from '../protocol/consistency.js';
import { RingkvError } from '../protocol/errors.js';
import type { OpName, OpRequest, OpResult } from '../protocol/ops/index.js';
import { formatToken, tokenOf } from '../ring/partitioner.js';
import { effectiveOwnership } from '../ring/ownership.js';
import type {
  ClientOptions,
  ClusterApi,
  EndpointsResult,
  GetResult,
  HintSummary,
  KeyspaceInfo,
  PutResult,
  RepairOptions,
  RepairProgress,
  RepairSummary,
  RequestOptions,
  RingEntry,
  StatusResult,
  TraceEvent,
  WriteOptions,
} from './api.js';
import { ClientCoordinator } from './client-coordinator.js';
import { Connection } from './connection.js';
import { Router } from './routing.js';
import { ClusterTopology, type NodeDoc } from './topology.js';
import { displayKey, showValue, toBytes } from './values.js';

/** A client polls the topology this often while something watches it (the REPL). */
const TOPOLOGY_POLL_MS = 2000;
/** Clock offsets beyond this make last-write-wins drop writes silently (CLI.md: status warns). */
const CLOCK_SKEW_WARNING_MS = 500;
const EWMA_ALPHA = 0.2;

/**
 * The client library: learns the cluster from any contact point, picks a coordinator per request
 * with the chosen routing policy, fails over between nodes, and (with coordination 'client')
 * coordinates writes and reads itself.
 */
export class RingkvClient implements ClusterApi {
  private readonly connections = new Map<string, Promise<Connection>>();
  private readonly latency = new Map<string, number>();
  private readonly router: Router;
  private topology: ClusterTopology;
  private contact: Connection;
  private readonly listeners = new Set<() => void>();
  private poller: NodeJS.Timeout | undefined;
  private closed = false;
  readonly localDc: string;

  private constructor(
    private readonly options: ClientOptions,
    contact: Connection,
    topology: ClusterTopology,
  ) {
    this.contact = contact;
    this.topology = topology;
    this.router = new Router(options.route);
    this.localDc = options.localDc ?? topology.dcOf(topology.doc.hostId) ?? 'dc1';
    this.connections.set(contact.address, Promise.resolve(contact));
  }

  /** Connects to the first contact point that answers; NO_HOST_AVAILABLE (exit 3) when none does. */
  static async connect(options: ClientOptions): Promise<RingkvClient> {
    const reasons: string[] = [];
    for (const address of options.contactPoints) {
      let conn: Connection | undefined;
      try {
        conn = await Connection.open(address, connectionOptions(options));
        const doc = await conn.request('topology', {}, options.timeoutMs);
        return new RingkvClient(options, conn, new ClusterTopology(doc));
      } catch (e) {
        conn?.close();
        if (e instanceof RingkvError && e.code !== 'NO_HOST_AVAILABLE' && e.code !== 'OVERLOADED') throw e;
        reasons.push(e instanceof Error ? e.message : String(e));
      }
    }
    throw new RingkvError(
      'NO_HOST_AVAILABLE',
      `no contact point could be reached (${reasons.join('; ')}): start a node with "ringkv start" or pass --node ws://HOST:PORT`,
    );
  }

  contactAddress(): string {
    return this.contact.address;
  }

  currentTopology(): ClusterTopology {
    return this.topology;
  }

  // ---- data ----

  async put(key: string | Uint8Array, value: string | Uint8Array, opts: WriteOptions): Promise<PutResult> {
    return this.mutate(key, toBytes(value), opts);
  }

  async del(key: string | Uint8Array, opts: WriteOptions): Promise<PutResult> {
    return this.mutate(key, null, opts);
  }

  private async mutate(
    key: string | Uint8Array,
    value: Uint8Array | null,
    opts: WriteOptions,
  ): Promise<PutResult> {
    const keyBytes = toBytes(key);
    const body: OpRequest<'mutate'> = {
      keyspace: opts.keyspace,
      key: keyBytes,
      value,
      cl: opts.cl,
      ...(opts.timestamp !== undefined ? { timestamp: opts.timestamp } : {}),
      ...(opts.ttl !== undefined ? { ttl: opts.ttl } : {}),
      ...(opts.trace ? { trace: true } : {}),
    };
    const base = { key: displayKey(key), keyspace: opts.keyspace, cl: opts.cl };
    if (this.options.coordination === 'client') {
      const r = await this.clientCoordinator().mutate(body);
      return { ...base, ...r };
    }
    const { result, trace } = await this.routed('mutate', body, keyBytes, opts.keyspace, opts.trace);
    return {
      ...base,
      timestamp: result.timestamp,
      acks: result.acks,
      hinted: result.hinted,
      coordinator: result.coordinator,
      ...(opts.trace ? { trace: [...trace, ...(result.trace ?? [])] } : {}),
    };
  }

  async get(key: string | Uint8Array, opts: RequestOptions): Promise<GetResult> {
    const keyBytes = toBytes(key);
    const spec = this.options.speculativeRetry;
    const body: OpRequest<'read'> = {
      keyspace: opts.keyspace,
      key: keyBytes,
      cl: opts.cl,
      ...(opts.trace ? { trace: true } : {}),
      ...(spec.kind === 'never'
        ? { speculativeRetryMs: 0 }
        : spec.kind === 'fixed'
          ? { speculativeRetryMs: spec.ms }
          : {}),
    };
    const base = { key: displayKey(key), keyspace: opts.keyspace, cl: opts.cl };
    const { result, trace } =
      this.options.coordination === 'client'
        ? { result: await this.clientCoordinator().read(body), trace: [] as TraceEvent[] }
        : await this.routed('read', body, keyBytes, opts.keyspace, opts.trace);
    return {
      ...base,
      found: result.found,
      ...(result.found && result.value ? showValue(result.value) : {}),
      ...(result.timestamp !== undefined ? { timestamp: result.timestamp } : {}),
      coordinator: result.coordinator,
      replicas: result.replicas,
      repaired: result.repaired,
      ...(opts.trace ? { trace: [...trace, ...(result.trace ?? [])] } : {}),
    };
  }

  private coordinatorForClient: ClientCoordinator | undefined;
  private clientCoordinator(): ClientCoordinator {
    this.coordinatorForClient ??= new ClientCoordinator({
      topology: () => this.topology,
      localDc: this.localDc,
      timeoutMs: this.options.timeoutMs,
      speculativeRetry: this.options.speculativeRetry,
      send: (hostId, op, body) => this.sendTo(hostId, op, body),
    });
    return this.coordinatorForClient;
  }

  // ---- routing ----

  /** Sends a keyed request to the coordinator the routing policy picks, failing over on unreachable nodes. */
  private async routed<K extends 'mutate' | 'read'>(
    op: K,
    body: OpRequest<K>,
    key: Uint8Array,
    keyspace: string,
    tracing: boolean | undefined,
  ): Promise<{ result: OpResult<K>; trace: TraceEvent[] }> {
    const replicas = this.topology.replicas(keyspace, tokenOf(key));
    const choice = this.router.route({
      topology: this.topology,
      replicas,
      localDc: this.localDc,
      latencyMs: (id) => this.latency.get(id),
    });
    const trace: TraceEvent[] = [];
    const failures: string[] = [];
    for (const node of choice.plan) {
      let conn: Connection;
      try {
        conn = await this.connectionTo(node);
      } catch (e) {
        failures.push(`${node.address}: ${e instanceof Error ? e.message : String(e)}`);
        continue;
      }
      if (tracing) {
        const reason =
          node === choice.plan[0] ? choice.reason : `fail-over after ${failures.length} unreachable`;
        trace.push({
          at: 0,
          node: 'client',
          event: `coordinator ${node.hostId} (${node.address}) chosen: ${reason}`,
        });
      }
      const result = await this.timed(node.hostId, () =>
        conn.request(op, body, this.options.timeoutMs + 500),
      );
      return { result, trace };
    }
    throw new RingkvError('NO_HOST_AVAILABLE', `no node could be reached (${failures.join('; ')})`);
  }

  private async timed<T>(hostId: string, f: () => Promise<T>): Promise<T> {
    const start = performance.now();
    const result = await f();
    const ms = performance.now() - start;
    const prev = this.latency.get(hostId);
    this.latency.set(hostId, prev === undefined ? ms : prev + EWMA_ALPHA * (ms - prev));
    return result;
  }

  /** A request to one named node (replica-level operations of client coordination). */
  async sendTo<K extends OpName>(hostId: string, op: K, body: OpRequest<K>): Promise<OpResult<K>> {
    const node = this.topology.node(hostId);
    if (!node) throw new RingkvError('NO_HOST_AVAILABLE', `unknown node ${hostId}`);
    const conn = await this.connectionTo(node);
    return this.timed(hostId, () => conn.request(op, body, this.options.timeoutMs));
  }

  private connectionTo(node: NodeDoc): Promise<Connection> {
    let p = this.connections.get(node.address);
    if (!p) {
      p = Connection.open(node.address, connectionOptions(this.options));
      p.then(
        (c) => c.onClose(() => this.connections.delete(node.address)),
        () => this.connections.delete(node.address),
      );
      this.connections.set(node.address, p);
    }
    return p;
  }

  /** A cluster-level request to the contact node, moving to another node if it went away. */
  private async admin<K extends OpName>(
    op: K,
    body: OpRequest<K>,
    timeoutMs = this.options.timeoutMs,
  ): Promise<OpResult<K>> {
    try {
      return await this.contact.request(op, body, timeoutMs);
    } catch (e) {
      if (!(e instanceof RingkvError) || e.code !== 'NO_HOST_AVAILABLE') throw e;
      for (const n of this.topology.nodes) {
        if (n.address === this.contact.address || n.state !== 'UP') continue;
        try {
          this.contact = await this.connectionTo(n);
          return await this.contact.request(op, body, timeoutMs);
        } catch {
          // try the next one
        }
      }
      throw e;
    }
  }

  // ---- cluster ----

  async refreshTopology(): Promise<ClusterTopology> {
    this.topology = new ClusterTopology(await this.admin('topology', {}));
    for (const cb of this.listeners) cb();
    return this.topology;
  }

  onTopologyChange(cb: () => void): () => void {
    this.listeners.add(cb);
    if (!this.poller) {
      this.poller = setInterval(() => {
        this.refreshTopology().catch(() => undefined);
      }, TOPOLOGY_POLL_MS);
      this.poller.unref();
    }
    return () => {
      this.listeners.delete(cb);
      if (this.listeners.size === 0 && this.poller) {
        clearInterval(this.poller);
        this.poller = undefined;
      }
    };
  }

  async status(keyspace: string): Promise<StatusResult> {
    const topology = await this.refreshTopology();
    const replication = topology.replication(keyspace);
    if (!replication) throw new RingkvError('INVALID_REQUEST', `keyspace "${keyspace}" does not exist`);
    const owns = effectiveOwnership(topology.ring, replication);
    const warnings: string[] = [];
    const nodes = topology.nodes.map((n) => {
      if (n.clockOffsetMs !== undefined && Math.abs(n.clockOffsetMs) > CLOCK_SKEW_WARNING_MS) {
        warnings.push(
          `clock of ${n.hostId} (${n.address}) is ${Math.round(n.clockOffsetMs)} ms off the contact node's: last-write-wins may drop writes; sync clocks with NTP`,
        );
      }
      return {
        hostId: n.hostId,
        address: n.address,
        dc: n.dc,
        rack: n.rack,
        state: n.state,
        status: n.status,
        tokens: n.tokens.length,
        owns: owns.get(n.hostId) ?? 0,
        load: n.load,
        ...(n.clockOffsetMs !== undefined ? { clockOffsetMs: n.clockOffsetMs } : {}),
      };
    });
    return { keyspace, nodes, warnings };
  }

  async ring(): Promise<RingEntry[]> {
    const topology = await this.refreshTopology();
    return topology.ring.ranges().map((r) => ({
      token: formatToken(r.end),
      hostId: r.owner.hostId,
      address: topology.node(r.owner.hostId)?.address ?? '',
    }));
  }

  async endpoints(key: string | Uint8Array, keyspace: string): Promise<EndpointsResult> {
    const topology = await this.refreshTopology();
    if (!topology.replication(keyspace))
      throw new RingkvError('INVALID_REQUEST', `keyspace "${keyspace}" does not exist`);
    const token = tokenOf(toBytes(key));
    return {
      key: displayKey(key),
      keyspace,
      token: formatToken(token),
      replicas: topology.replicas(keyspace, token).map((n) => ({
        hostId: n.hostId,
        address: n.address,
        dc: n.dc,
        rack: n.rack,
        state: n.state,
      })),
    };
  }

  async keyspaces(): Promise<KeyspaceInfo[]> {
    const topology = await this.refreshTopology();
    return Object.entries(topology.doc.keyspaces)
      .map(([name, replication]) => ({ name, replication }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async createKeyspace(name: string, replication: Replication): Promise<KeyspaceInfo> {
    const r = await this.admin('keyspace_create', { name, replication });
    await this.refreshTopology();
    return { name: r.name, replication: r.replication };
  }

  async hints(): Promise<HintSummary[]> {
    return (await this.admin('hints_list', {}, this.options.timeoutMs * 2)).hints;
  }

  async truncateHints(target?: string): Promise<{ truncated: number }> {
    return this.admin('hints_truncate', target ? { target } : {}, this.options.timeoutMs * 2);
  }

  async repair(
    opts: RepairOptions,
    onProgress?: (p: RepairProgress) => void,
    signal?: AbortSignal,
  ): Promise<RepairSummary> {
    const off = this.contact.onEvent((event, body) => {
      if (event === 'repair_progress' && onProgress) onProgress(body as RepairProgress);
    });
    try {
      // A repair takes as long as it takes; the node reports failed ranges itself.
      const run = this.admin('repair', opts, 24 * 3600 * 1000);
      if (!signal) return await run;
      return await new Promise<RepairSummary>((resolve, reject) => {
        signal.addEventListener('abort', () => reject(new RingkvError('REFUSED', 'repair cancelled')), {
          once: true,
        });
        run.then(resolve, reject);
      });
    } finally {
      off();
    }
  }

  async stopNode(): Promise<string> {
    return (await this.contact.request('stop', {}, this.options.timeoutMs)).hostId;
  }

  async decommission(): Promise<OpResult<'decommission'>> {
    return this.contact.request('decommission', {}, 24 * 3600 * 1000);
  }

  async removenode(hostId: string): Promise<OpResult<'removenode'>> {
    return this.admin('removenode', { hostId }, 24 * 3600 * 1000);
  }

  async join(seeds?: string[]): Promise<OpResult<'join'>> {
    return this.contact.request('join', seeds ? { seeds } : {}, 24 * 3600 * 1000);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.poller) clearInterval(this.poller);
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(all.map((p) => p.then((c) => c.close()).catch(() => undefined)));
  }
}

function connectionOptions(o: ClientOptions): { secret?: string; clusterName: string; timeoutMs: number } {
  return {
    clusterName: o.clusterName ?? 'ringkv',
    timeoutMs: o.timeoutMs,
    ...(o.secret ? { secret: o.secret } : {}),
  };
}
