/**
 * ringkv as a library: `connect` learns the cluster from any contact point, and the connection
 * routes each request to a coordinator (token-aware by default), fails over between nodes, and
 * can coordinate writes and reads itself, as the CLI does. Keys and values go in as bytes or
 * UTF-8 text; reads give the value's bytes back. Every failure is a RingkvError with the code of
 * CLI.md (UNAVAILABLE, WRITE_TIMEOUT, NO_HOST_AVAILABLE, ...).
 */
import {
  COORDINATIONS,
  ROUTE_POLICIES,
  type Coordination,
  type PutResult,
  type ReadResult,
  type RequestOptions,
  type RoutePolicyName,
  type WriteOptions as ClientWriteOptions,
} from './client/api.js';
import { RingkvClient } from './client/client.js';
import { parseContactPoints, parseSpeculativeRetry } from './client/options.js';
import { parseConsistency, type ConsistencyLevel } from './protocol/consistency.js';
import { RingkvError } from './protocol/errors.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, keyspaceNameProblem } from './protocol/limits.js';

export { RingkvClient } from './client/client.js';
export { CONSISTENCY_LEVELS, type ConsistencyLevel, type Replication } from './protocol/consistency.js';
export { ERROR_CODES, RingkvError, isRingkvError, type ErrorCode } from './protocol/errors.js';
export type { PutResult, ReadResult, TraceEvent } from './client/api.js';

export interface ConnectOptions {
  /** ws://HOST:PORT of one or more nodes (a list, or comma-separated), tried in order until one answers. */
  contactPoints: string | readonly string[];
  /** The keyspace of requests that name none (default `default`, RF 3). */
  keyspace?: string;
  /** The consistency level of requests that name none, any case (default ONE, as the CLI's). */
  cl?: ConsistencyLevel | Lowercase<ConsistencyLevel>;
  /** Request timeout in ms (default 2000). */
  timeoutMs?: number;
  secret?: string;
  /** The cluster to expect; a node of another cluster refuses the connection (default `ringkv`). */
  clusterName?: string;
  /** How a coordinator is picked (default `token`: a replica of the key). */
  route?: RoutePolicyName;
  /** The client's data center, for `dc`/`default` routing and LOCAL_* CLs (default: the contact node's). */
  localDc?: string;
  /** `node`: a node coordinates; `client`: this process sends to every replica itself (default `node`). */
  coordination?: Coordination;
  /** Reads ask another replica after this long: `99p`, `Nms` or `never` (default `99p`). */
  speculativeRetry?: string;
}

export interface ReadOptions {
  keyspace?: string;
  cl?: ConsistencyLevel | Lowercase<ConsistencyLevel>;
  /** Return what the coordinator did, with latencies, as `trace`. */
  trace?: boolean;
}

export interface WriteOptions extends ReadOptions {
  /** The write's timestamp in microseconds since the epoch (default: the coordinator's clock). */
  timestamp?: number;
  /** Seconds until the value expires. */
  ttl?: number;
}

/**
 * A connection to a cluster. Close it when done: its sockets keep the process alive. Its methods
 * are async so that bad options (an unknown CL) reject like every other failure.
 */
export class Ringkv {
  private constructor(
    /** The full client the CLI uses: status, ring, keyspaces, repair, hints; results are CLI.md's JSON shapes. */
    readonly client: RingkvClient,
    private readonly keyspace: string,
    private readonly cl: ConsistencyLevel,
  ) {}

  static async connect(options: ConnectOptions): Promise<Ringkv> {
    const keyspace = keyspaceOf(options.keyspace ?? 'default');
    const cl = parseConsistency(options.cl ?? 'ONE');
    const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
      throw new RingkvError('USAGE', `timeoutMs ${timeoutMs} is not a whole number of ms, 1 or more`);
    }
    const route = oneOf(options.route ?? 'token', ROUTE_POLICIES, 'route');
    const coordination = oneOf(options.coordination ?? 'node', COORDINATIONS, 'coordination');
    const client = await RingkvClient.connect({
      contactPoints: parseContactPoints(options.contactPoints, 'contactPoints'),
      timeoutMs,
      clusterName: options.clusterName ?? 'ringkv',
      route,
      coordination,
      speculativeRetry: parseSpeculativeRetry(options.speculativeRetry ?? '99p', 'speculativeRetry'),
      ...(options.secret !== undefined ? { secret: options.secret } : {}),
      ...(options.localDc !== undefined ? { localDc: options.localDc } : {}),
    });
    return new Ringkv(client, keyspace, cl);
  }

  /** Writes once the CL's replicas have it on disk; `hinted` names replicas that will get it later. */
  async put(
    key: string | Uint8Array,
    value: string | Uint8Array,
    options: WriteOptions = {},
  ): Promise<PutResult> {
    return this.client.put(bytesOrText(key, 'key'), bytesOrText(value, 'value'), this.writeOptions(options));
  }

  /** A tombstone: a write of no value, reconciled by timestamp like any other write. */
  async delete(key: string | Uint8Array, options: WriteOptions = {}): Promise<PutResult> {
    return this.client.del(bytesOrText(key, 'key'), this.writeOptions(options));
  }

  /** `found` false for a key never written or deleted; `value` is a copy of the stored bytes. */
  async get(key: string | Uint8Array, options: ReadOptions = {}): Promise<ReadResult> {
    const read = await this.client.read(bytesOrText(key, 'key'), this.requestOptions(options));
    // A value of its own: the client's is a view into the network frame it came in, and a
    // program that keeps values would keep every frame they arrived in alive with them.
    if (read.value !== undefined) read.value = new Uint8Array(read.value);
    return read;
  }

  /** Waits for the writes this connection coordinated (hints included), then closes its sockets. */
  close(): Promise<void> {
    return this.client.close();
  }

  private requestOptions(options: ReadOptions): RequestOptions {
    const request: RequestOptions = {
      keyspace: options.keyspace === undefined ? this.keyspace : keyspaceOf(options.keyspace),
      cl: options.cl === undefined ? this.cl : parseConsistency(options.cl),
    };
    if (options.trace) request.trace = true;
    return request;
  }

  private writeOptions(options: WriteOptions): ClientWriteOptions {
    const write: ClientWriteOptions = this.requestOptions(options);
    if (options.timestamp !== undefined) write.timestamp = options.timestamp;
    if (options.ttl !== undefined) write.ttl = options.ttl;
    return write;
  }
}

/** Connects to the first contact point that answers; NO_HOST_AVAILABLE when none does. */
export function connect(options: ConnectOptions): Promise<Ringkv> {
  return Ringkv.connect(options);
}

/** Programs in JavaScript can pass anything: say what was wrong rather than fail inside. */
function bytesOrText(v: string | Uint8Array, what: 'key' | 'value'): string | Uint8Array {
  if (typeof v === 'string' || v instanceof Uint8Array) return v;
  const got = v === null ? 'null' : typeof v;
  throw new RingkvError('USAGE', `the ${what} must be a string or a Uint8Array, not ${got}`);
}

function keyspaceOf(name: string): string {
  const problem = keyspaceNameProblem(name);
  if (problem !== undefined) throw new RingkvError('USAGE', problem);
  return name;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], option: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new RingkvError('USAGE', `${option} "${value}" is not one of ${allowed.join(', ')}`);
}
