import type { z } from 'zod';
import { CONSISTENCY_LEVELS } from './consistency.js';
import { ERROR_CODES } from './errors.js';
import {
  KEYSPACE_NAME_PATTERN,
  MAX_KEYSPACE_NAME_LENGTH,
  MAX_REPLICATION_FACTOR,
  MAX_SPECULATIVE_RETRY_MS,
  MAX_TTL_SECONDS,
} from './limits.js';
import type {
  ChallengeMessage,
  ErrorMessage,
  EventMessage,
  RequestMessage,
  ResponseMessage,
  WelcomeMessage,
} from './messages.js';
import type { OpName, OpRequest, OpResult } from './ops/index.js';
import type {
  cell as cellSchema,
  traceEvent as traceEventSchema,
  wireError as wireErrorSchema,
} from './schema.js';
import type { WireMessage } from './validate.js';

/**
 * Hand-written twins of the zod schemas that every read and write crosses: the `req` and `res`
 * envelopes and the bodies and results of mutate, read, replica_write, replica_write_batch and
 * replica_read. Under QUORUM writes zod's safeParse was about 6.5% of each node's CPU, nearly all
 * on these shapes. Per message (msgpack-decoded, Node 20), zod takes about 0.7 µs for a
 * replica_write request's envelope and body and 0.6 µs for a mutate request's; these take
 * 0.08-0.13 µs for either.
 *
 * The zod schemas stay the specification. Each function here answers either "zod accepts this, and
 * this is its output" or `undefined`: "not sure, ask zod". They never reject, so error messages are
 * zod's and a gap here costs time, not correctness. What they accept is a subset of what zod does,
 * with the same output: unknown keys stripped, an absent optional key absent, an optional key given
 * as undefined kept as undefined, byte strings passed through by reference.
 *
 * The handshake's challenge, welcome and error, events and the topology result have twins for
 * another reason: a command-line put, get or del meets no other shape, so with fastMessage and
 * fastResult it need not load zod at all (importing zod is about 100 ms of a 440 ms command). That
 * holds only while this file imports nothing at run time that imports zod: types only from the
 * schema modules, constants from limits, errors and consistency.
 */

type Fields = Record<string, unknown>;
/** A value's parsed form, or undefined when zod must decide. */
type Parse<T> = (input: unknown) => T | undefined;

type Cell = z.infer<typeof cellSchema>;
type TraceEvent = z.infer<typeof traceEventSchema>;
type WireError = z.infer<typeof wireErrorSchema>;
type Topology = OpResult<'topology'>;
type NodeInfo = Topology['nodes'][number];
type Replication = Topology['keyspaces'][string];

/**
 * zod takes any non-array object; these read keys the way zod does (property reads and `in`), but
 * only on plain objects, which is all msgpack produces. Typed arrays, class instances with getters
 * and objects inheriting fields from a prototype of their own are zod's.
 */
function plainObject(input: unknown): Fields | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const proto: unknown = Object.getPrototypeOf(input);
  return proto === Object.prototype || proto === null ? (input as Fields) : undefined;
}

/**
 * An optional key as zod's object reads it: absent stays absent, present with value undefined stays
 * present as undefined, anything else must parse. False when zod must decide.
 */
function optional(from: Fields, to: Fields, key: string, raw: unknown, parse: Parse<unknown>): boolean {
  if (raw === undefined) {
    if (key in from) to[key] = undefined;
    return true;
  }
  const value = parse(raw);
  if (value === undefined) return false;
  to[key] = value;
  return true;
}

function arrayOf<T>(parse: Parse<T>): Parse<T[]> {
  return (input) => {
    if (!Array.isArray(input)) return undefined;
    const out = new Array<T>(input.length);
    for (let i = 0; i < input.length; i++) {
      const item = parse(input[i]);
      if (item === undefined) return undefined;
      out[i] = item;
    }
    return out;
  };
}

/** z.number() refuses NaN and ±Infinity. */
const finite: Parse<number> = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
/** z.number().int() means a safe integer: 2^53 is too big. */
const safeInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const string: Parse<string> = (v) => (typeof v === 'string' ? v : undefined);
const boolean: Parse<boolean> = (v) => (typeof v === 'boolean' ? v : undefined);
const bytes: Parse<Uint8Array> = (v) => (v instanceof Uint8Array ? v : undefined);
const bytesOrNull: Parse<Uint8Array | null> = (v) => (v === null ? null : bytes(v));

/** z.number().int().nonnegative(), for timestamps, message ids and counts alike; -0 stays -0, as in zod. */
const nonNegativeInt: Parse<number> = (v) => (safeInt(v) && v >= 0 ? v : undefined);
const positiveInt: Parse<number> = (v) => (safeInt(v) && v >= 1 ? v : undefined);
const ttlSeconds: Parse<number> = (v) => (safeInt(v) && v >= 1 && v <= MAX_TTL_SECONDS ? v : undefined);
const speculativeRetryMs: Parse<number> = (v) => {
  const ms = finite(v);
  return ms !== undefined && ms >= 0 && ms <= MAX_SPECULATIVE_RETRY_MS ? ms : undefined;
};
const speculativeRetryPercentile: Parse<number> = (v) => {
  const p = finite(v);
  return p !== undefined && p > 0 && p <= 100 ? p : undefined;
};

/**
 * zod measures string lengths in code points; up to 64 UTF-16 units is surely at most 64 code
 * points, longer strings (surrogate pairs) are zod's to count.
 */
const hostId: Parse<string> = (v) =>
  typeof v === 'string' && v.length >= 1 && v.length <= 64 ? v : undefined;
const hostIds = arrayOf(hostId);

/** ASCII only, so units and code points agree. */
const keyspaceName: Parse<string> = (v) =>
  typeof v === 'string' &&
  v.length >= 1 &&
  v.length <= MAX_KEYSPACE_NAME_LENGTH &&
  KEYSPACE_NAME_PATTERN.test(v)
    ? v
    : undefined;

const CONSISTENCY = new Set<unknown>(CONSISTENCY_LEVELS);
const consistency: Parse<(typeof CONSISTENCY_LEVELS)[number]> = (v) =>
  CONSISTENCY.has(v) ? (v as (typeof CONSISTENCY_LEVELS)[number]) : undefined;

const ERROR_CODE_SET = new Set<unknown>(ERROR_CODES);

export const fastTraceEvent: Parse<TraceEvent> = (input) => {
  const o = plainObject(input);
  if (o === undefined) return undefined;
  const at = finite(o.at);
  const node = string(o.node);
  const event = string(o.event);
  if (at === undefined || node === undefined || event === undefined) return undefined;
  return { at, node, event };
};
const traceEvents = arrayOf(fastTraceEvent);

export const fastCell: Parse<Cell> = (input) => {
  const o = plainObject(input);
  if (o === undefined) return undefined;
  const value = bytesOrNull(o.value);
  const timestamp = nonNegativeInt(o.timestamp);
  if (value === undefined || timestamp === undefined) return undefined;
  const cell: Cell = { value, timestamp };
  return optional(o, cell, 'expiresAt', o.expiresAt, nonNegativeInt) ? cell : undefined;
};

/** wireError has catchall(z.unknown()): zod copies every other enumerable key, inherited too, but not __proto__. */
const wireError: Parse<WireError> = (input) => {
  const o = plainObject(input);
  if (o === undefined || !ERROR_CODE_SET.has(o.code) || typeof o.message !== 'string') return undefined;
  const error: Fields = { code: o.code, message: o.message };
  for (const key in o) {
    if (key !== 'code' && key !== 'message' && key !== '__proto__') error[key] = o[key];
  }
  return error as WireError;
};

export const fastRequestMessage: Parse<RequestMessage> = (input) => {
  const o = plainObject(input);
  // body is z.unknown(), which is still a required key: present, even as undefined.
  if (o === undefined || o.type !== 'req' || !('body' in o)) return undefined;
  const id = nonNegativeInt(o.id);
  const op = string(o.op);
  if (id === undefined || op === undefined) return undefined;
  return { type: 'req', id, op, body: o.body };
};

/** The union's two forms: ok true with a result (any value, but present), ok false with an error. */
export const fastResponseMessage: Parse<ResponseMessage> = (input) => {
  const o = plainObject(input);
  if (o === undefined || o.type !== 'res') return undefined;
  const id = nonNegativeInt(o.id);
  if (id === undefined) return undefined;
  if (o.ok === true) return 'result' in o ? { type: 'res', id, ok: true, result: o.result } : undefined;
  if (o.ok !== false) return undefined;
  const error = wireError(o.error);
  return error === undefined ? undefined : { type: 'res', id, ok: false, error };
};

export const fastMutateRequest: Parse<OpRequest<'mutate'>> = (input) => {
  const o = plainObject(input);
  if (o === undefined) return undefined;
  const keyspace = keyspaceName(o.keyspace);
  const key = bytes(o.key);
  const value = bytesOrNull(o.value);
  const cl = consistency(o.cl);
  if (keyspace === undefined || key === undefined || value === undefined || cl === undefined)
    return undefined;
  const body: OpRequest<'mutate'> = { keyspace, key, value, cl };
  return optional(o, body, 'timestamp', o.timestamp, nonNegativeInt) &&
    optional(o, body, 'ttl', o.ttl, ttlSeconds) &&
    optional(o, body, 'trace', o.trace, boolean) &&
    optional(o, body, 'timeoutMs', o.timeoutMs, positiveInt)
    ? body
    : undefined;
};

export const fastReadRequest: Parse<OpRequest<'read'>> = (input) => {
  const o = plainObject(input);
  if (o === undefined) return undefined;
  const keyspace = keyspaceName(o.keyspace);
  const key = bytes(o.key);
  const cl = consistency(o.cl);
  if (keyspace === undefined || key === undefined || cl === undefined) return undefined;
  const body: OpRequest<'read'> = { keyspace, key, cl };
  return optional(o, body, 'trace', o.trace, boolean) &&
    optional(o, body, 'timeoutMs', o.timeoutMs, positiveInt) &&
    optional(o, body, 'speculativeRetryMs', o.speculativeRetryMs, speculativeRetryMs) &&
    optional(o, body, 'speculativeRetryPercentile', o.speculativeRetryPercentile, speculativeRetryPercentile)
    ? body
    : undefined;
};

export const fastReplicaWriteRequest: Parse<OpRequest<'replica_write'>> = (input) => {
  const o = plainObject(input);
  if (o === undefined) return undefined;
  const keyspace = keyspaceName(o.keyspace);
  const key = bytes(o.key);
  const cell = fastCell(o.cell);
  if (keyspace === undefined || key === undefined || cell === undefined) return undefined;
  return { keyspace, key, cell };
};

/** The batch schema's limit on cells; a longer array is zod's to refuse. */
const MAX_BATCH_CELLS = 10_000;

const keyedCell: Parse<{ key: Uint8Array; cell: Cell }> = (input) => {
  const o = plainObject(input);
  if (o === undefined) return undefined;
  const key = bytes(o.key);
  const cell = fastCell(o.cell);
  return key === undefined || cell === undefined ? undefined : { key, cell };
};
const keyedCells = arrayOf(keyedCell);

export const fastReplicaWriteBatchRequest: Parse<OpRequest<'replica_write_batch'>> = (input) => {
  const o = plainObject(input);
  if (o === undefined) return undefined;
  const keyspace = keyspaceName(o.keyspace);
  const cells = Array.isArray(o.cells) && o.cells.length <= MAX_BATCH_CELLS ? keyedCells(o.cells) : undefined;
  if (keyspace === undefined || cells === undefined) return undefined;
  return { keyspace, cells };
};

export const fastReplicaReadRequest: Parse<OpRequest<'replica_read'>> = (input) => {
  const o = plainObject(input);
  if (o === undefined) return undefined;
  const keyspace = keyspaceName(o.keyspace);
  const key = bytes(o.key);
  if (keyspace === undefined || key === undefined) return undefined;
  return { keyspace, key };
};

export const fastMutateResult: Parse<OpResult<'mutate'>> = (input) => {
  const o = plainObject(input);
  if (o === undefined) return undefined;
  const timestamp = nonNegativeInt(o.timestamp);
  const coordinator = hostId(o.coordinator);
  const acks = hostIds(o.acks);
  const hinted = hostIds(o.hinted);
  if (timestamp === undefined || coordinator === undefined || acks === undefined || hinted === undefined) {
    return undefined;
  }
  const result: OpResult<'mutate'> = { timestamp, coordinator, acks, hinted };
  return optional(o, result, 'trace', o.trace, traceEvents) ? result : undefined;
};

export const fastReadResult: Parse<OpResult<'read'>> = (input) => {
  const o = plainObject(input);
  if (o === undefined) return undefined;
  const found = boolean(o.found);
  const coordinator = hostId(o.coordinator);
  const replicas = hostIds(o.replicas);
  const repaired = hostIds(o.repaired);
  if (found === undefined || coordinator === undefined || replicas === undefined || repaired === undefined) {
    return undefined;
  }
  // Keys in zod's order (the schema's), though only their presence and values matter.
  const result: Fields = { found };
  if (
    !optional(o, result, 'value', o.value, bytes) ||
    !optional(o, result, 'timestamp', o.timestamp, nonNegativeInt)
  )
    return undefined;
  result.coordinator = coordinator;
  result.replicas = replicas;
  result.repaired = repaired;
  return optional(o, result, 'trace', o.trace, traceEvents) ? (result as OpResult<'read'>) : undefined;
};

/** z.object({}) takes any object and keeps nothing of it. */
export const fastReplicaWriteResult: Parse<OpResult<'replica_write'>> = (input) =>
  plainObject(input) === undefined ? undefined : {};

export const fastReplicaWriteBatchResult: Parse<OpResult<'replica_write_batch'>> = (input) => {
  const o = plainObject(input);
  if (o === undefined) return undefined;
  const applied = nonNegativeInt(o.applied);
  return applied === undefined ? undefined : { applied };
};

export const fastReplicaReadResult: Parse<OpResult<'replica_read'>> = (input) => {
  const o = plainObject(input);
  if (o === undefined) return undefined;
  const result: OpResult<'replica_read'> = {};
  return optional(o, result, 'cell', o.cell, fastCell) ? result : undefined;
};

export const fastChallengeMessage: Parse<ChallengeMessage> = (input) => {
  const o = plainObject(input);
  if (o === undefined || o.type !== 'challenge') return undefined;
  // z.number().int() with no bound: a negative version is the handshake's to refuse, not the schema's.
  const version = safeInt(o.version) ? o.version : undefined;
  const cluster = string(o.cluster);
  const host = hostId(o.hostId);
  const nonce = bytes(o.nonce);
  if (version === undefined || cluster === undefined || host === undefined || nonce === undefined)
    return undefined;
  return { type: 'challenge', version, cluster, hostId: host, nonce };
};

export const fastWelcomeMessage: Parse<WelcomeMessage> = (input) => {
  const o = plainObject(input);
  if (o === undefined || o.type !== 'welcome') return undefined;
  const host = hostId(o.hostId);
  if (host === undefined) return undefined;
  // Nodes set maxValueBytes before mac; zod's output, and so this one, has the schema's order.
  const welcome: WelcomeMessage = { type: 'welcome', hostId: host };
  return optional(o, welcome, 'mac', o.mac, bytes) &&
    optional(o, welcome, 'maxValueBytes', o.maxValueBytes, positiveInt)
    ? welcome
    : undefined;
};

export const fastEventMessage: Parse<EventMessage> = (input) => {
  const o = plainObject(input);
  // body is z.unknown(), as in req: required, though any value, undefined included, will do.
  if (o === undefined || o.type !== 'event' || !('body' in o)) return undefined;
  const event = string(o.event);
  return event === undefined ? undefined : { type: 'event', event, body: o.body };
};

export const fastErrorMessage: Parse<ErrorMessage> = (input) => {
  const o = plainObject(input);
  if (o === undefined || o.type !== 'error') return undefined;
  const error = wireError(o.error);
  return error === undefined ? undefined : { type: 'error', error };
};

/**
 * Any message a client receives, parsed by hand, or undefined: zod must decide, or it is a hello,
 * which only a node reads, and a node has zod loaded anyway.
 */
export function fastMessage(raw: unknown): WireMessage | undefined {
  const o = plainObject(raw);
  if (o === undefined) return undefined;
  switch (o.type) {
    case 'req':
      return fastRequestMessage(o);
    case 'res':
      return fastResponseMessage(o);
    case 'challenge':
      return fastChallengeMessage(o);
    case 'welcome':
      return fastWelcomeMessage(o);
    case 'event':
      return fastEventMessage(o);
    case 'error':
      return fastErrorMessage(o);
    default:
      return undefined;
  }
}

/**
 * z.record(z.string(), ...) as zod 4 builds it: a fresh {} holding the input's own enumerable keys
 * in Reflect.ownKeys order; inherited keys are never read. It skips `__proto__` without parsing its
 * value and non-enumerable keys without a word, refuses symbol keys, and reads `constructor` to tell
 * a plain object from others, so an own function there takes checks of its own. All of these are
 * zod's; msgpack makes none of them.
 */
function recordOf<T>(key: Parse<string>, value: Parse<T>): Parse<Record<string, T>> {
  return (input) => {
    const o = plainObject(input);
    if (o === undefined || (Object.hasOwn(o, 'constructor') && typeof o.constructor === 'function'))
      return undefined;
    const out: Record<string, T> = {};
    for (const k of Reflect.ownKeys(o)) {
      if (typeof k !== 'string' || k === '__proto__' || !Object.prototype.propertyIsEnumerable.call(o, k))
        return undefined;
      const v = key(k) === undefined ? undefined : value(o[k]);
      if (v === undefined) return undefined;
      out[k] = v;
    }
    return out;
  };
}

/** z.string().regex(/^-?\d{1,20}$/): the shape of an int64 in decimal, not its range. */
const TOKEN_STRING = /^-?\d{1,20}$/;
const tokenString: Parse<string> = (v) => (typeof v === 'string' && TOKEN_STRING.test(v) ? v : undefined);
const tokenStrings = arrayOf(tokenString);

// Listed here, not imported, since cluster.ts loads zod; `satisfies` keeps them within the schema's
// enums, and a value the schema gains later is left to zod until it is added here.
const NODE_STATUSES = new Set<unknown>([
  'JOINING',
  'NORMAL',
  'LEAVING',
  'LEFT',
] satisfies NodeInfo['status'][]);
const NODE_STATES = new Set<unknown>(['UP', 'DOWN'] satisfies NodeInfo['state'][]);

/** z.number().nonnegative(): finite, and -0 passes as itself. */
const nonNegative: Parse<number> = (v) => {
  const n = finite(v);
  return n !== undefined && n >= 0 ? n : undefined;
};
const share: Parse<number> = (v) => {
  const n = finite(v);
  return n !== undefined && n >= 0 && n <= 1 ? n : undefined;
};

export const fastNodeInfo: Parse<NodeInfo> = (input) => {
  const o = plainObject(input);
  if (o === undefined) return undefined;
  const host = hostId(o.hostId);
  const address = string(o.address);
  const dc = string(o.dc);
  const rack = string(o.rack);
  const tokens = tokenStrings(o.tokens);
  const load = nonNegative(o.load);
  if (
    host === undefined ||
    address === undefined ||
    dc === undefined ||
    rack === undefined ||
    tokens === undefined ||
    !NODE_STATUSES.has(o.status) ||
    !NODE_STATES.has(o.state) ||
    load === undefined
  )
    return undefined;
  const node: NodeInfo = {
    hostId: host,
    address,
    dc,
    rack,
    tokens,
    status: o.status as NodeInfo['status'],
    state: o.state as NodeInfo['state'],
    load,
  };
  return optional(o, node, 'streamProgress', o.streamProgress, share) &&
    optional(o, node, 'clockOffsetMs', o.clockOffsetMs, finite)
    ? node
    : undefined;
};
const nodeInfos = arrayOf(fastNodeInfo);

const replicationFactor =
  (min: number): Parse<number> =>
  (v) =>
    safeInt(v) && v >= min && v <= MAX_REPLICATION_FACTOR ? v : undefined;
const simpleFactor = replicationFactor(1);
/** Data center names have a host id's bounds, 1 to 64 code points; zero replicas in one is allowed. */
const dcFactors = recordOf(hostId, replicationFactor(0));

/** The discriminated union reads `strategy` and parses the one form it names; other keys are stripped. */
export const fastReplication: Parse<Replication> = (input) => {
  const o = plainObject(input);
  if (o === undefined) return undefined;
  if (o.strategy === 'simple') {
    const rf = simpleFactor(o.rf);
    return rf === undefined ? undefined : { strategy: 'simple', rf };
  }
  if (o.strategy !== 'network') return undefined;
  const dcs = dcFactors(o.dcs);
  return dcs === undefined ? undefined : { strategy: 'network', dcs };
};
const keyspaceReplications = recordOf(string, fastReplication);

export const fastTopologyResult: Parse<Topology> = (input) => {
  const o = plainObject(input);
  if (o === undefined) return undefined;
  const clusterName = string(o.clusterName);
  const host = hostId(o.hostId);
  const nodes = nodeInfos(o.nodes);
  const keyspaces = keyspaceReplications(o.keyspaces);
  if (clusterName === undefined || host === undefined || nodes === undefined || keyspaces === undefined)
    return undefined;
  return { clusterName, hostId: host, nodes, keyspaces };
};

/** A request body parsed by hand, or undefined: not one of these operations, or zod must decide. */
export function fastRequestBody(op: OpName, body: unknown): unknown {
  switch (op) {
    case 'mutate':
      return fastMutateRequest(body);
    case 'read':
      return fastReadRequest(body);
    case 'replica_write':
      return fastReplicaWriteRequest(body);
    case 'replica_write_batch':
      return fastReplicaWriteBatchRequest(body);
    case 'replica_read':
      return fastReplicaReadRequest(body);
    default:
      return undefined;
  }
}

export function fastResult(op: OpName, result: unknown): unknown {
  switch (op) {
    case 'mutate':
      return fastMutateResult(result);
    case 'read':
      return fastReadResult(result);
    case 'replica_write':
      return fastReplicaWriteResult(result);
    case 'replica_write_batch':
      return fastReplicaWriteBatchResult(result);
    case 'replica_read':
      return fastReplicaReadResult(result);
    case 'topology':
      return fastTopologyResult(result);
    default:
      return undefined;
  }
}
