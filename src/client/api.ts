import type { ConsistencyLevel, Replication } from '../protocol/consistency.js';
import type { RepairProgress, UnansweredNode } from '../protocol/ops/healing.js';
import type { OpRequest, OpResult } from '../protocol/ops/index.js';

/**
 * The shapes the client returns. They are the JSON documents of CLI.md: the commands print them
 * as they are with --json, and the REPL renders them.
 */

export const ROUTE_POLICIES = ['rr', 'token', 'latency', 'dc', 'default'] as const;
export type RoutePolicyName = (typeof ROUTE_POLICIES)[number];
export const COORDINATIONS = ['node', 'client'] as const;
export type Coordination = (typeof COORDINATIONS)[number];
/** Reads ask another replica after this long: a percentile of its recent latency, a fixed delay, or never. */
export type SpeculativeRetry =
  { kind: 'percentile'; p: number } | { kind: 'fixed'; ms: number } | { kind: 'never' };

export interface ClientOptions {
  /** ws://host:port contact points, tried in order until one answers. */
  contactPoints: string[];
  timeoutMs: number;
  secret?: string;
  clusterName?: string;
  route: RoutePolicyName;
  localDc?: string;
  coordination: Coordination;
  speculativeRetry: SpeculativeRetry;
  /**
   * Latency-aware routing tries a node it skipped as slow again after this long, ms, so a node
   * that recovered gets traffic back (default 2000).
   */
  latencyRetryPeriodMs?: number;
}

export interface TraceEvent {
  /** Microseconds since the request started. */
  at: number;
  node: string;
  event: string;
}

export interface RequestOptions {
  keyspace: string;
  cl: ConsistencyLevel;
  trace?: boolean;
}

export interface WriteOptions extends RequestOptions {
  timestamp?: number;
  ttl?: number;
}

export interface PutResult {
  key: string;
  keyspace: string;
  cl: ConsistencyLevel;
  timestamp: number;
  acks: string[];
  hinted: string[];
  coordinator: string;
  trace?: TraceEvent[] | undefined;
}

export interface GetResult {
  key: string;
  keyspace: string;
  cl: ConsistencyLevel;
  found: boolean;
  /** UTF-8 text when the bytes are valid UTF-8, else base64 with valueEncoding 'base64'. */
  value?: string;
  valueEncoding?: 'utf8' | 'base64';
  timestamp?: number;
  coordinator: string;
  replicas: string[];
  repaired: string[];
  trace?: TraceEvent[] | undefined;
}

/** A read as a program sees it: GetResult with the value's bytes as stored. */
export interface ReadResult extends Omit<GetResult, 'value' | 'valueEncoding'> {
  value?: Uint8Array;
}

export interface NodeStatus {
  hostId: string;
  address: string;
  dc: string;
  rack: string;
  state: 'UP' | 'DOWN';
  status: 'JOINING' | 'NORMAL' | 'LEAVING' | 'LEFT';
  tokens: number;
  /** Effective ownership for the keyspace asked for, 0..1 (sums to RF over all nodes). */
  owns: number;
  load: number;
  clockOffsetMs?: number;
  /** While JOINING or LEAVING: the share of its ranges already streamed (0..1). */
  streamProgress?: number;
}

export interface StatusResult {
  keyspace: string;
  nodes: NodeStatus[];
  /** Human warnings, e.g. clock skew over 500 ms. */
  warnings: string[];
}

export interface RingEntry {
  token: string;
  hostId: string;
  address: string;
}

export interface EndpointsResult {
  key: string;
  keyspace: string;
  token: string;
  replicas: { hostId: string; address: string; dc: string; rack: string; state: 'UP' | 'DOWN' }[];
}

export interface KeyspaceInfo {
  name: string;
  replication: Replication;
}

export interface AlteredKeyspace extends KeyspaceInfo {
  /** The replication it had before. */
  previous: Replication;
}

export interface HintSummary {
  holder: string;
  target: string;
  count: number;
  bytes: number;
  /** ms since the epoch of the oldest hint. */
  oldest: number;
  /** The target has been down longer than the hint window: only repair can heal it. */
  pastWindow: boolean;
}

/** Repair's request, progress events and summary are the protocol's own shapes. */
export type RepairOptions = OpRequest<'repair'>;
export type RepairSummary = OpResult<'repair'>;
export type { RepairProgress } from '../protocol/ops/healing.js';

/** A node's counters since it started (ringkv stats). */
export type StatsResult = OpResult<'stats'>;

/** A node asked in a round of every node that gave no answer, and why. */
export type { UnansweredNode };

/** The hints every node holds, and the nodes whose hints could not be counted. */
export interface HintsReport {
  hints: HintSummary[];
  unanswered: UnansweredNode[];
}

/** Hints dropped over the cluster, and the nodes that could not drop theirs. */
export interface HintsTruncated {
  truncated: number;
  unanswered: UnansweredNode[];
}

/** One node's counters, or why it could not give them (ringkv stats --all). */
export type NodeStatsEntry = StatsResult | UnansweredNode;

/** What a node dropped in a cleanup (ringkv cleanup). */
export type CleanupResult = OpResult<'cleanup'>;

/** One node's cleanup, or why it did not run there. */
export type NodeCleanupEntry = CleanupResult | UnansweredNode;

/**
 * What commands and the REPL call. One implementation talks to a real cluster
 * (src/client/client.ts); tests may use a fake with the same shape.
 */
export interface ClusterApi {
  put(key: string | Uint8Array, value: string | Uint8Array, opts: WriteOptions): Promise<PutResult>;
  del(key: string | Uint8Array, opts: WriteOptions): Promise<PutResult>;
  get(key: string | Uint8Array, opts: RequestOptions): Promise<GetResult>;
  status(keyspace: string): Promise<StatusResult>;
  ring(): Promise<RingEntry[]>;
  endpoints(key: string | Uint8Array, keyspace: string): Promise<EndpointsResult>;
  keyspaces(): Promise<KeyspaceInfo[]>;
  createKeyspace(name: string, replication: Replication): Promise<KeyspaceInfo>;
  /** A new replication for an existing keyspace; existing data reaches new replicas by repair. */
  alterKeyspace(name: string, replication: Replication): Promise<AlteredKeyspace>;
  /** Every node's hints; a node that is down or silent is named in `unanswered`, not skipped. */
  hints(): Promise<HintsReport>;
  /** Every node's counters, in the order of status; a node that cannot answer says why. */
  statsOfEveryNode(): Promise<NodeStatsEntry[]>;
  /** Cleanup on every node in turn, in the order of status; one that fails does not stop the rest. */
  cleanupEveryNode(keyspace?: string): Promise<NodeCleanupEntry[]>;
  truncateHints(target?: string): Promise<HintsTruncated>;
  repair(
    opts: RepairOptions,
    onProgress?: (p: RepairProgress) => void,
    signal?: AbortSignal,
  ): Promise<RepairSummary>;
  /** The contact node's address, for status lines. */
  contactAddress(): string;
  /** Called when the client learns a newer view of the cluster (nodes UP/DOWN, tokens, keyspaces). */
  onTopologyChange(cb: () => void): () => void;
  close(): Promise<void>;
}
