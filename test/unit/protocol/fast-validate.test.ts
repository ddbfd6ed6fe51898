import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { challengeFor, helloFor, welcomeFor } from '../../../src/protocol/auth.js';
import { decodeFrame, encodeMessage } from '../../../src/protocol/codec.js';
import { CONSISTENCY_LEVELS } from '../../../src/protocol/consistency.js';
import { ERROR_CODES, RingkvError } from '../../../src/protocol/errors.js';
import {
  fastCell,
  fastChallengeMessage,
  fastErrorMessage,
  fastEventMessage,
  fastMessage,
  fastMutateRequest,
  fastMutateResult,
  fastNodeInfo,
  fastReadRequest,
  fastReadResult,
  fastReplicaReadRequest,
  fastReplicaReadResult,
  fastReplicaWriteBatchRequest,
  fastReplicaWriteBatchResult,
  fastReplicaWriteRequest,
  fastReplicaWriteResult,
  fastReplication,
  fastRequestMessage,
  fastResponseMessage,
  fastResult,
  fastTopologyResult,
  fastTraceEvent,
  fastWelcomeMessage,
} from '../../../src/protocol/fast-validate.js';
import {
  DEFAULT_MAX_VALUE_BYTES,
  MAX_REPLICATION_FACTOR,
  MAX_TTL_SECONDS,
} from '../../../src/protocol/limits.js';
import {
  challengeMessage,
  errorMessage,
  eventMessage,
  requestMessage,
  responseMessage,
  welcomeMessage,
  type Message,
} from '../../../src/protocol/messages.js';
import { NODE_STATUSES, nodeInfo } from '../../../src/protocol/ops/cluster.js';
import { OPS, type OpResult } from '../../../src/protocol/ops/index.js';
import { cell, replication, traceEvent } from '../../../src/protocol/schema.js';
import { parseMessage, parseRequestBody, parseResult } from '../../../src/protocol/validate.js';

/**
 * The hand-written validators may only ever say "zod accepts this, with this output". Every shape
 * gets inputs that are mostly right with a few things wrong (a bad leaf, a missing or undefined key,
 * an extra key, the wrong container), and whenever the fast path accepts, zod must accept with the
 * same output.
 */

/** A shape's typical values and its near misses: mostly typical, with some part wrong. */
interface Gen {
  valid: fc.Arbitrary<unknown>;
  near: fc.Arbitrary<unknown>;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Values of every kind, including ones msgpack never produces. */
const anything: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(undefined, null, true, false, 0, -0, 1, -1, NaN, Infinity, -Infinity, '', 'x', 1n),
  fc.double(),
  fc.string(),
  fc.uint8Array({ maxLength: 4 }),
  fc.uint8Array({ maxLength: 4 }).map((a) => Buffer.from(a)),
  fc.int8Array({ maxLength: 4 }),
  fc.uint8ClampedArray({ maxLength: 4 }),
  fc.uint16Array({ maxLength: 4 }),
  fc.float64Array({ maxLength: 4 }),
  fc.constant(new DataView(new ArrayBuffer(4))),
  fc.constant(new ArrayBuffer(4)),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.object({ maxDepth: 1, maxKeys: 3 }),
  fc.constant(new Date(0)),
  fc.constant(new Map([['a', 1]])),
);

/**
 * Typical values, mostly; sometimes a value from one of the groups of edges (each group as likely
 * as the next, so a shape's own boundaries are not drowned by the generic ones), or anything.
 */
function leaf(valid: fc.Arbitrary<unknown>, ...edgeGroups: unknown[][]): Gen {
  const near = [
    { arbitrary: valid, weight: 24 },
    { arbitrary: anything, weight: 1 },
    ...edgeGroups.map((edges) => ({ arbitrary: fc.constantFrom(...edges), weight: 3 })),
  ];
  return { valid, near: fc.oneof(...near) };
}

const numberEdges = [0, -0, 1, -1, 0.5, -0.5, 1e21, NaN, Infinity, -Infinity, Number.MAX_VALUE, '5', 5n];
const safeEdges = [MAX_SAFE, MAX_SAFE + 1, 2 ** 53 + 2, -MAX_SAFE, -MAX_SAFE - 1, Number.MIN_VALUE];

const micros = leaf(
  fc.oneof(fc.integer({ min: 0, max: MAX_SAFE }), fc.constantFrom(0, MAX_SAFE)),
  numberEdges,
  safeEdges,
);
const ttl = leaf(fc.integer({ min: 1, max: MAX_TTL_SECONDS }), numberEdges, [
  1,
  0,
  MAX_TTL_SECONDS,
  MAX_TTL_SECONDS + 1,
  MAX_TTL_SECONDS + 0.5,
  1.5,
]);
const retryMs = leaf(fc.double({ min: 0, max: 60_000, noNaN: true }), numberEdges, [
  0,
  -0,
  60_000,
  60_000.000001,
  60_001,
  -Number.MIN_VALUE,
]);
const timeoutMs = leaf(fc.integer({ min: 1, max: MAX_SAFE }), numberEdges, [1, 0, 1.5, ...safeEdges]);
const retryPercentile = leaf(fc.double({ min: Number.MIN_VALUE, max: 100, noNaN: true }), numberEdges, [
  0,
  -0,
  Number.MIN_VALUE,
  100,
  100.00000000000001,
  101,
]);
const finiteNumber = leaf(fc.double({ noNaN: true, noDefaultInfinity: true }), numberEdges, [
  NaN,
  Infinity,
  -Infinity,
]);
const boolean = leaf(fc.boolean(), [0, 1, 'true', null]);
const string = leaf(fc.string({ maxLength: 8 }), [1, null, new String('s')]);

const bytes = leaf(
  fc.oneof(
    fc.uint8Array({ maxLength: 8 }),
    fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a)),
    // msgpackr hands out views of the frame
    fc.uint8Array({ minLength: 3, maxLength: 8 }).map((a) => Buffer.from(a).subarray(1, 3)),
  ),
  [
    new Uint8ClampedArray(2),
    new Int8Array(2),
    new Uint16Array(1),
    new Float32Array(1),
    new DataView(new ArrayBuffer(2)),
    new ArrayBuffer(2),
    [1, 2],
    'bytes',
    null,
  ],
);
const bytesOrNull: Gen = { valid: fc.oneof(bytes.valid, fc.constant(null)), near: bytes.near };

const emoji = '\u{1F600}';
const hostId = leaf(
  fc.oneof(
    fc.string({ minLength: 1, maxLength: 64 }),
    fc.constantFrom('n1', 'a'.repeat(64), emoji.repeat(32)),
  ),
  // zod counts code points: 33 emoji are 66 UTF-16 units but within 64
  [
    '',
    'a'.repeat(64),
    'a'.repeat(65),
    emoji.repeat(32),
    emoji.repeat(33),
    emoji.repeat(64),
    emoji.repeat(65),
  ],
  ['a' + emoji.repeat(32), '\ud83d'.repeat(64), '\ud83d'.repeat(65), '\ude00', 'n1\n', 7, null],
);
const keyspace = leaf(
  fc.oneof(
    fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,47}$/),
    fc.constantFrom('default', 'a', 'Z'.repeat(48), 'a_1'),
  ),
  ['', 'a', 'a'.repeat(48), 'a'.repeat(49), 'a'.repeat(48) + '\n', emoji.repeat(24)],
  ['1abc', '_a', 'a-b', 'a b', 'abc\n', '\nabc', 'é', 'aé', 'a\u0000', 'ａ', 'a'.repeat(47) + '-'],
);
const consistency = leaf(fc.constantFrom(...CONSISTENCY_LEVELS), ['quorum', 'Quorum', 'MOST', '', ' ONE', 1]);
const version = leaf(fc.oneof(fc.constant(1), fc.integer()), numberEdges, safeEdges);
const maxValueBytes = leaf(
  fc.oneof(fc.integer({ min: 1, max: 2 ** 31 }), fc.constant(DEFAULT_MAX_VALUE_BYTES)),
  numberEdges,
  [1, 0, 1.5, ...safeEdges],
);
const token = leaf(
  fc.oneof(
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
    fc.constantFrom('0', '-9223372036854775808', '9223372036854775807'),
  ),
  // the schema checks the form of a decimal, not the int64 range: 20 digits pass, 21 do not
  ['', '-', '-0', '1'.repeat(20), '1'.repeat(21), '-' + '9'.repeat(20), '-' + '9'.repeat(21), '+1'],
  ['1 ', ' 1', '1\n', '\n1', '١', '１', '0x1', '1.0', '1e3', 5, 5n, null],
);
const nodeStatus = leaf(fc.constantFrom(...NODE_STATUSES), ['normal', 'UP', 'JOINING ', '', 1]);
const nodeState = leaf(fc.constantFrom('UP', 'DOWN'), ['up', 'NORMAL', '', null, true]);
const load = leaf(
  fc.oneof(fc.integer({ min: 0, max: 2 ** 40 }), fc.double({ min: 0, noNaN: true, noDefaultInfinity: true })),
  numberEdges,
  [-Number.MIN_VALUE, -1, Number.MAX_VALUE, Infinity, NaN],
);
const streamProgress = leaf(fc.double({ min: 0, max: 1, noNaN: true }), numberEdges, [
  0,
  -0,
  1,
  1.0000000000000002,
  -Number.MIN_VALUE,
]);
const rf = leaf(fc.integer({ min: 1, max: MAX_REPLICATION_FACTOR }), numberEdges, [
  0,
  1,
  MAX_REPLICATION_FACTOR,
  MAX_REPLICATION_FACTOR + 1,
  1.5,
]);
const dcRf = leaf(fc.integer({ min: 0, max: MAX_REPLICATION_FACTOR }), numberEdges, [
  0,
  -0,
  MAX_REPLICATION_FACTOR,
  MAX_REPLICATION_FACTOR + 1,
  0.5,
]);

function arrayOf(item: Gen): Gen {
  const near = fc.oneof(
    { arbitrary: fc.array(item.near, { maxLength: 4 }), weight: 8 },
    { arbitrary: fc.sparseArray(item.valid, { maxLength: 3 }), weight: 1 },
    { arbitrary: item.valid.map((v) => ({ 0: v, length: 1 })), weight: 1 },
  );
  return { valid: fc.array(item.valid, { maxLength: 4 }), near };
}

type Container = 'plain' | 'nullProto' | 'inherited' | 'instance' | 'array' | 'bytes';

/** Mostly plain objects, as msgpack makes; now and then a container zod reads differently. */
const containers = fc.constantFrom<Container>(
  ...Array<Container>(12).fill('plain'),
  'nullProto',
  'nullProto',
  'inherited',
  'instance',
  'array',
  'bytes',
);

class Body {}

/** Own, enumerable data properties, even for keys like __proto__ that assignment would not create. */
function withEntries<T extends object>(target: T, entries: [string, unknown][]): T {
  for (const [key, value] of entries) {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return target;
}

function build(entries: [string, unknown][], container: Container): unknown {
  switch (container) {
    case 'plain':
      return withEntries({}, entries);
    case 'nullProto':
      return withEntries(Object.create(null) as object, entries);
    case 'inherited':
      // zod reads keys through the prototype chain; the fast path leaves such objects to zod
      return Object.create(withEntries({}, entries));
    case 'instance':
      return withEntries(new Body(), entries);
    case 'array':
      return entries.map(([, value]) => value);
    case 'bytes':
      // a typed array refuses canonical numeric keys ('0', '-0', '1e+21', 'NaN', 'Infinity') as properties
      return withEntries(
        new Uint8Array(2),
        entries.filter(([key]) => !isCanonicalNumeric(key)),
      );
  }
}

/** What a typed array takes for an index, as the spec's CanonicalNumericIndexString says. */
function isCanonicalNumeric(key: string): boolean {
  return key === '-0' || String(Number(key)) === key;
}

const ABSENT = Symbol('absent');
const extraKeys = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom(
    'extra',
    'constructor',
    'toString',
    'hasOwnProperty',
    '__proto__',
    'length',
    '0',
    'NaN',
    'Infinity',
    '-0',
  ),
);

/**
 * An object shape. Near misses drop or blank keys (required ones rarely, optional ones often),
 * add unknown keys, and sometimes come in the wrong container.
 */
function objectOf(required: Record<string, Gen>, optional: Record<string, Gen> = {}): Gen {
  const slot = (gen: Gen, absentWeight: number): fc.Arbitrary<unknown> =>
    fc.oneof(
      { arbitrary: gen.near, weight: 16 },
      { arbitrary: fc.constant(ABSENT), weight: absentWeight },
      { arbitrary: fc.constant(undefined), weight: absentWeight },
    );
  const slots = [
    ...Object.entries(required).map(([key, gen]) => slot(gen, 1).map((v): [string, unknown] => [key, v])),
    ...Object.entries(optional).map(([key, gen]) => slot(gen, 6).map((v): [string, unknown] => [key, v])),
  ];
  const near = fc
    .tuple(fc.tuple(...slots), fc.array(fc.tuple(extraKeys, anything), { maxLength: 2 }), containers)
    .map(([fields, extra, container]) =>
      build([...fields.filter(([, v]) => v !== ABSENT), ...extra], container),
    );

  const valid = fc
    .tuple(
      fc.record(Object.fromEntries(Object.entries(required).map(([key, gen]) => [key, gen.valid]))),
      fc.record(
        Object.fromEntries(
          Object.entries(optional).map(([key, gen]) => [key, fc.oneof(gen.valid, fc.constant(undefined))]),
        ),
        { requiredKeys: [] },
      ),
    )
    .map(([req, opt]) => ({ ...req, ...opt }));

  // One key wrong (moved to the end) and the rest right: with many keys, a key's own edges would
  // otherwise seldom meet an object that is valid but for them.
  const keyed = [
    ...Object.entries(required).map(([key, gen]) => ({ key, slot: slot(gen, 1) })),
    ...Object.entries(optional).map(([key, gen]) => ({ key, slot: slot(gen, 6) })),
  ];
  const oneWrong = keyed.map(({ key, slot }) =>
    fc.tuple(valid, slot).map(([object, value]) => {
      const rest = Object.entries(object).filter(([k]) => k !== key);
      return withEntries({}, value === ABSENT ? rest : [...rest, [key, value]]);
    }),
  );

  return {
    valid,
    near: fc.oneof(
      { arbitrary: near, weight: 12 },
      { arbitrary: oneWrong.length === 0 ? near : fc.oneof(...oneWrong), weight: 12 },
      { arbitrary: anything, weight: 1 },
    ),
  };
}

/** Keys a record may meet that an object's shape never names. */
const oddRecordKeys = fc.constantFrom(
  '__proto__',
  'constructor',
  'toString',
  '',
  '0',
  '1',
  '-0',
  'NaN',
  'a'.repeat(65),
  emoji.repeat(33),
);
type RecordOddity = 'none' | 'symbol' | 'hidden' | 'constructor' | 'proto';

/**
 * A z.record of string keys. Near misses have bad keys or values, keys an object never meets
 * (`__proto__`, Object.prototype's names, numeric ones), symbol or non-enumerable keys, an own
 * `constructor` function (zod reads it to tell a plain object), or the wrong container.
 */
function recordOf(key: Gen, value: Gen): Gen {
  const valid = fc
    .array(fc.tuple(key.valid.map(String), value.valid), { maxLength: 3 })
    .map((entries) => withEntries({}, entries));
  const entry = fc.tuple(
    fc.oneof({ arbitrary: key.near.map(String), weight: 8 }, { arbitrary: oddRecordKeys, weight: 1 }),
    value.near,
  );
  const near = fc
    .tuple(
      fc.array(entry, { maxLength: 3 }),
      containers,
      fc.constantFrom<RecordOddity>(
        ...Array<RecordOddity>(12).fill('none'),
        'symbol',
        'hidden',
        'constructor',
        'proto',
      ),
      value.valid,
    )
    .map(([entries, container, oddity, sample]) => {
      const record = build(entries, container) as Record<PropertyKey, unknown>;
      if (oddity === 'symbol') record[Symbol('k')] = sample;
      if (oddity === 'hidden') Object.defineProperty(record, 'hidden', { value: sample, enumerable: false });
      if (oddity === 'constructor') withEntries(record, [['constructor', Object]]);
      if (oddity === 'proto') withEntries(record, [['__proto__', sample]]);
      return record;
    });
  return { valid, near: fc.oneof({ arbitrary: near, weight: 12 }, { arbitrary: anything, weight: 1 }) };
}

/**
 * A part of a larger shape that is right more often than its own near misses are, so that the
 * whole is still accepted often enough for its own checks to be tried (the part has its own test).
 */
function mostly(gen: Gen, validWeight = 3): Gen {
  return {
    valid: gen.valid,
    near: fc.oneof({ arbitrary: gen.valid, weight: validWeight }, { arbitrary: gen.near, weight: 1 }),
  };
}

const traceEventGen = objectOf({ at: finiteNumber, node: string, event: string });
const cellGen = objectOf({ value: bytesOrNull, timestamp: micros }, { expiresAt: micros });
const hostIds = arrayOf(hostId);
const traces = arrayOf(traceEventGen);

const wireErrorGen = objectOf(
  { code: leaf(fc.constantFrom(...ERROR_CODES), ['NOPE', 'unavailable', '']), message: string },
  { retryAfterMs: finiteNumber, replicas: hostIds },
);

/** Both forms of `res`, and near misses that mix them up. */
function responseGen(): Gen {
  const type = leaf(fc.constant('res'), ['req', 'RES']);
  const result = { valid: anything, near: anything };
  const error = wireErrorGen;
  const ok = objectOf({ type, id: micros, ok: leaf(fc.constant(true), [false, 1, 'true']), result });
  const failed = objectOf({ type, id: micros, ok: leaf(fc.constant(false), [true, 0, null]), error });
  const mixed = objectOf(
    { type, id: micros, ok: leaf(fc.boolean(), [1, 0, 'true', null]) },
    { result, error },
  );
  return { valid: fc.oneof(ok.valid, failed.valid), near: fc.oneof(ok.near, failed.near, mixed.near) };
}

/** A message's type: its own mostly, another message's or a near spelling sometimes. */
function messageType(type: string): Gen {
  return leaf(
    fc.constant(type),
    ['hello', 'challenge', 'welcome', 'event', 'error', 'req', 'res'],
    [type.toUpperCase(), `${type} `, ''],
  );
}

const challengeGen = objectOf({
  type: messageType('challenge'),
  version,
  cluster: string,
  hostId,
  nonce: bytes,
});
const welcomeGen = objectOf({ type: messageType('welcome'), hostId }, { mac: bytes, maxValueBytes });
const eventGen = objectOf({
  type: messageType('event'),
  event: leaf(fc.constantFrom('repair_progress', 'topology'), [7, null]),
  body: { valid: anything, near: anything },
});
const errorGen = objectOf({ type: messageType('error'), error: wireErrorGen });
/** Only nodes read hellos, so the fast path leaves every one to zod, however close to another type. */
const helloGen = objectOf(
  {
    type: messageType('hello'),
    version,
    role: leaf(fc.constantFrom('client', 'peer'), ['node', '']),
    cluster: string,
    nonce: bytes,
  },
  { hostId, address: string, mac: bytes },
);

const nodeInfoGen = objectOf(
  {
    hostId,
    address: string,
    dc: string,
    rack: string,
    tokens: arrayOf(token),
    status: nodeStatus,
    state: nodeState,
    load,
  },
  { streamProgress, clockOffsetMs: finiteNumber },
);

/** Both strategies, and near misses that give one strategy the other's fields. */
function replicationGen(): Gen {
  const simple = objectOf({ strategy: leaf(fc.constant('simple'), ['network', 'SIMPLE', '']), rf });
  const network = objectOf({
    strategy: leaf(fc.constant('network'), ['simple', 'NETWORK', '']),
    dcs: recordOf(hostId, dcRf),
  });
  const mixed = objectOf(
    { strategy: leaf(fc.constantFrom('simple', 'network'), ['local', null]) },
    { rf, dcs: recordOf(hostId, dcRf) },
  );
  return {
    valid: fc.oneof(simple.valid, network.valid),
    near: fc.oneof(simple.near, network.near, mixed.near),
  };
}
const replicationGenerated = replicationGen();

const topologyGen = objectOf({
  clusterName: string,
  hostId,
  nodes: mostly(arrayOf(mostly(nodeInfoGen))),
  keyspaces: mostly(recordOf(keyspace, mostly(replicationGenerated))),
});

const shapes = {
  traceEvent: { fast: fastTraceEvent, schema: traceEvent, gen: traceEventGen },
  cell: { fast: fastCell, schema: cell, gen: cellGen },
  'mutate request': {
    fast: fastMutateRequest,
    schema: OPS.mutate.request,
    gen: objectOf(
      { keyspace, key: bytes, value: bytesOrNull, cl: consistency },
      { timestamp: micros, ttl, trace: boolean, timeoutMs },
    ),
  },
  'read request': {
    fast: fastReadRequest,
    schema: OPS.read.request,
    gen: objectOf(
      { keyspace, key: bytes, cl: consistency },
      {
        trace: boolean,
        timeoutMs,
        speculativeRetryMs: retryMs,
        speculativeRetryPercentile: retryPercentile,
      },
    ),
  },
  'replica_write request': {
    fast: fastReplicaWriteRequest,
    schema: OPS.replica_write.request,
    gen: objectOf({ keyspace, key: bytes, cell: cellGen }),
  },
  'replica_write_batch request': {
    fast: fastReplicaWriteBatchRequest,
    schema: OPS.replica_write_batch.request,
    gen: objectOf({ keyspace, cells: arrayOf(objectOf({ key: bytes, cell: cellGen })) }),
  },
  'replica_read request': {
    fast: fastReplicaReadRequest,
    schema: OPS.replica_read.request,
    gen: objectOf({ keyspace, key: bytes }),
  },
  'mutate result': {
    fast: fastMutateResult,
    schema: OPS.mutate.result,
    gen: objectOf(
      { timestamp: micros, coordinator: hostId, acks: hostIds, hinted: hostIds },
      { trace: traces },
    ),
  },
  'read result': {
    fast: fastReadResult,
    schema: OPS.read.result,
    gen: objectOf(
      { found: boolean, coordinator: hostId, replicas: hostIds, repaired: hostIds },
      { value: bytes, timestamp: micros, trace: traces },
    ),
  },
  'replica_write result': {
    fast: fastReplicaWriteResult,
    schema: OPS.replica_write.result,
    gen: objectOf({}, { ignored: string }),
  },
  'replica_write_batch result': {
    fast: fastReplicaWriteBatchResult,
    schema: OPS.replica_write_batch.result,
    gen: objectOf({ applied: micros }),
  },
  'replica_read result': {
    fast: fastReplicaReadResult,
    schema: OPS.replica_read.result,
    gen: objectOf({}, { cell: cellGen }),
  },
  'req envelope': {
    fast: fastRequestMessage,
    schema: requestMessage,
    gen: objectOf({
      type: leaf(fc.constant('req'), ['res', 'REQ', '']),
      id: micros,
      op: leaf(fc.constantFrom('mutate', 'read', 'replica_write', 'replica_read', 'nope'), [7, null]),
      body: { valid: anything, near: anything },
    }),
  },
  'res envelope': { fast: fastResponseMessage, schema: responseMessage, gen: responseGen() },
  'challenge message': { fast: fastChallengeMessage, schema: challengeMessage, gen: challengeGen },
  'welcome message': { fast: fastWelcomeMessage, schema: welcomeMessage, gen: welcomeGen },
  'event message': { fast: fastEventMessage, schema: eventMessage, gen: eventGen },
  'error message': { fast: fastErrorMessage, schema: errorMessage, gen: errorGen },
  'topology node': { fast: fastNodeInfo, schema: nodeInfo, gen: nodeInfoGen },
  replication: { fast: fastReplication, schema: replication, gen: replicationGenerated },
  'topology result': { fast: fastTopologyResult, schema: OPS.topology.result, gen: topologyGen },
} satisfies Record<string, { fast: (input: unknown) => unknown; schema: z.ZodType; gen: Gen }>;

/**
 * Outputs must match exactly: the same own keys (an undefined-valued key is not an absent one), the
 * same prototypes, numbers by Object.is (-0 is not 0), byte strings of the same class and bytes.
 */
function expectSameOutput(actual: unknown, expected: unknown, path = 'output'): void {
  if (typeof expected !== 'object' || expected === null) {
    expect(Object.is(actual, expected), `${path}: ${String(actual)} is not ${String(expected)}`).toBe(true);
    return;
  }
  expect(typeof actual === 'object' && actual !== null, `${path} is not an object`).toBe(true);
  const a = actual as Record<PropertyKey, unknown>;
  const e = expected as Record<PropertyKey, unknown>;
  expect(Object.getPrototypeOf(a), `${path} prototype`).toBe(Object.getPrototypeOf(e));
  if (ArrayBuffer.isView(e)) {
    expect(ArrayBuffer.isView(a) && Buffer.from(a.buffer, a.byteOffset, a.byteLength), path).toEqual(
      Buffer.from(e.buffer, e.byteOffset, e.byteLength),
    );
    return;
  }
  const keys = (o: object): string[] => Reflect.ownKeys(o).map(String).sort();
  expect(keys(a), `${path} keys`).toEqual(keys(e));
  for (const key of Reflect.ownKeys(e)) expectSameOutput(a[key], e[key], `${path}.${String(key)}`);
}

/**
 * The same keys in the same order, at every depth. Nothing should depend on the order, but output
 * that prints or serializes the same as zod's is one thing less to wonder about.
 */
function expectSameKeyOrder(actual: unknown, expected: unknown, path = 'output'): void {
  if (typeof expected !== 'object' || expected === null || ArrayBuffer.isView(expected)) return;
  const a = actual as Record<string, unknown>;
  const e = expected as Record<string, unknown>;
  expect(Object.keys(a), `${path} key order`).toEqual(Object.keys(e));
  for (const key of Object.keys(e)) expectSameKeyOrder(a[key], e[key], `${path}.${key}`);
}

const NUM_RUNS = 1500;

describe.each(Object.entries(shapes))('fast %s', (_name, { fast, schema, gen }) => {
  it('accepts only what zod accepts, with the same output', () => {
    let accepted = 0;
    let declined = 0;
    fc.assert(
      fc.property(gen.near, (input) => {
        const out = fast(input);
        if (out === undefined) {
          declined++;
          return;
        }
        accepted++;
        const parsed = schema.safeParse(input);
        expect(parsed.success, parsed.error?.message).toBe(true);
        expectSameOutput(out, parsed.data);
        expectSameKeyOrder(out, parsed.data);
      }),
      { numRuns: NUM_RUNS },
    );
    // Both answers must be common, or the property above proves little.
    expect(accepted).toBeGreaterThan(NUM_RUNS / 50);
    expect(declined).toBeGreaterThan(NUM_RUNS / 50);
  });

  it('accepts typical values itself', () => {
    fc.assert(
      fc.property(gen.valid, (input) => {
        const out = fast(input);
        expect(out).not.toBeUndefined();
        const parsed = schema.parse(input);
        expectSameOutput(out, parsed);
        expectSameKeyOrder(out, parsed);
      }),
      { numRuns: 300 },
    );
  });
});

describe('fast validation edge cases', () => {
  const key = Uint8Array.of(1);

  it('keeps an optional key given as undefined, and leaves an absent one absent', () => {
    const body = { keyspace: 'ks', key, value: null, cl: 'ONE', ttl: undefined };
    const out = fastMutateRequest(body);
    expect(out).toBeDefined();
    expect(Object.hasOwn(out as object, 'ttl')).toBe(true);
    expect(Object.hasOwn(out as object, 'timestamp')).toBe(false);
    expectSameOutput(out, OPS.mutate.request.parse(body));
  });

  it('leaves to zod what only zod can count or read', () => {
    // 33 code points in 66 UTF-16 units: zod accepts, the fast path does not count code points
    expect(fastMutateResult({ timestamp: 1, coordinator: emoji.repeat(33), acks: [], hinted: [] })).toBe(
      undefined,
    );
    // zod reads inherited keys; the fast path only reads plain objects
    expect(fastReplicaReadRequest(Object.create({ keyspace: 'ks', key }))).toBe(undefined);
    expect(fastReplicaWriteResult(Buffer.alloc(1))).toBe(undefined);
  });

  it('leaves a batch over the schema limit to zod, which refuses it', () => {
    const cells = (n: number) =>
      Array.from({ length: n }, () => ({ key, cell: { value: key, timestamp: 1 } }));
    expect(fastReplicaWriteBatchRequest({ keyspace: 'ks', cells: cells(10_000) })).toBeDefined();
    const over = { keyspace: 'ks', cells: cells(10_001) };
    expect(fastReplicaWriteBatchRequest(over)).toBe(undefined);
    expect(OPS.replica_write_batch.request.safeParse(over).success).toBe(false);
  });

  it('passes byte strings through without a copy, as zod does', () => {
    const frame = Buffer.from([9, 1, 2, 3]);
    const body = { keyspace: 'ks', key: frame.subarray(1, 3) };
    expect(fastReplicaReadRequest(body)?.key).toBe(body.key);
  });

  const topologyWith = (keyspaces: unknown) => ({ clusterName: 'c', hostId: 'n1', nodes: [], keyspaces });
  const simple = { strategy: 'simple', rf: 1 };

  it("reads a record's own keys as zod does, whatever their names", () => {
    // Keyspace names are letters, so Object.prototype's names are keyspace names too.
    const input = topologyWith({
      constructor: simple,
      toString: { strategy: 'network', dcs: { dc: 0, '1': 2 } },
      ks: simple,
    });
    const out = fastTopologyResult(input);
    expect(out).toBeDefined();
    const parsed = OPS.topology.result.parse(input);
    expectSameOutput(out, parsed);
    expectSameKeyOrder(out, parsed);
  });

  it('leaves to zod the record keys it skips or refuses', () => {
    const proto = topologyWith(withEntries({ ks: simple }, [['__proto__', simple]]));
    const hidden = topologyWith(
      Object.defineProperty({ ks: simple }, 'hidden', { value: simple, enumerable: false }),
    );
    const symbol = topologyWith({ ks: simple, [Symbol('ks')]: simple });
    const constructor = topologyWith(withEntries({ ks: simple }, [['constructor', Object]]));
    for (const input of [proto, hidden, symbol, constructor])
      expect(fastTopologyResult(input)).toBe(undefined);
    // zod skips __proto__ and non-enumerable keys, and refuses symbol keys
    expect(OPS.topology.result.parse(proto).keyspaces).toEqual({ ks: simple });
    expect(OPS.topology.result.parse(hidden).keyspaces).toEqual({ ks: simple });
    expect(OPS.topology.result.safeParse(symbol).success).toBe(false);
    expect(OPS.topology.result.safeParse(constructor).success).toBe(false);
    // 33 code points in 66 UTF-16 units, as for host ids
    const network = { strategy: 'network', dcs: { [emoji.repeat(33)]: 1 } };
    expect(fastReplication(network)).toBe(undefined);
    expect(replication.safeParse(network).success).toBe(true);
  });

  it('loads nothing at run time that imports zod', () => {
    const seen = new Set<string>();
    const zod: string[] = [];
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      // verbatimModuleSyntax drops only what is written `import type`
      const imports = /^(?:import|export)(?!\s+type\s)[^;'"]*?from\s+'([^']+)'|^import\s+'([^']+)'/gm;
      for (const m of readFileSync(file, 'utf8').matchAll(imports)) {
        const specifier = (m[1] ?? m[2]) as string;
        if (specifier === 'zod' || specifier.startsWith('zod/')) zod.push(path.basename(file));
        else if (specifier.startsWith('.'))
          visit(path.resolve(path.dirname(file), specifier).replace(/\.js$/, '.ts'));
      }
    };
    visit(path.resolve('src/protocol/fast-validate.ts'));
    expect(seen.size).toBeGreaterThan(1);
    expect(zod).toEqual([]);
  });

  it('leaves hello to zod', () => {
    const hello = { type: 'hello', version: 1, role: 'client', cluster: 'c', nonce: key };
    expect(fastMessage(hello)).toBe(undefined);
    expect(parseMessage(hello)).toEqual(hello);
  });
});

describe('validate.ts with the fast path', () => {
  function zodErrorText(error: z.ZodError): string {
    const issue = error.issues[0];
    if (issue === undefined) return 'invalid';
    const path = issue.path.map(String).join('.');
    return path === '' ? issue.message : `${path}: ${issue.message}`;
  }

  /** What validate.ts answered before the fast path: zod's data, or an error built from zod's issue. */
  function zodOnly(schema: z.ZodType, input: unknown, prefix: string): unknown {
    const parsed = schema.safeParse(input);
    return parsed.success ? { data: parsed.data } : { error: `${prefix}: ${zodErrorText(parsed.error)}` };
  }

  function outcome(fn: () => unknown): unknown {
    try {
      return { data: fn() };
    } catch (e) {
      if (e instanceof RingkvError) return { error: e.message };
      throw e;
    }
  }

  const ops = ['mutate', 'read', 'replica_write', 'replica_read'] as const;

  it.each(ops)('answers %s bodies and results as zod alone did, errors included', (op) => {
    const request = shapes[`${op} request`].gen.near;
    const result = shapes[`${op} result`].gen.near;
    fc.assert(
      fc.property(request, result, (body, res) => {
        expectSameOutput(
          outcome(() => parseRequestBody(op, body)),
          zodOnly(OPS[op].request, body, `invalid ${op} request`),
        );
        expectSameOutput(
          outcome(() => parseResult(op, res)),
          zodOnly(OPS[op].result, res, `invalid ${op} result`),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('answers req and res envelopes as zod alone did, errors included', () => {
    const envelopes = fc.oneof(shapes['req envelope'].gen.near, shapes['res envelope'].gen.near);
    fc.assert(
      fc.property(envelopes, (raw) => {
        const type = (raw as { type?: unknown } | null)?.type;
        fc.pre(type === 'req' || type === 'res');
        const schema = type === 'req' ? requestMessage : responseMessage;
        expectSameOutput(
          outcome(() => parseMessage(raw)),
          zodOnly(schema, raw, `invalid ${String(type)} message`),
        );
      }),
      { numRuns: 1000 },
    );
  });

  it('answers topology results as zod alone did, errors included', () => {
    fc.assert(
      fc.property(topologyGen.near, (result) => {
        expectSameOutput(
          outcome(() => parseResult('topology', result)),
          zodOnly(OPS.topology.result, result, 'invalid topology result'),
        );
      }),
      { numRuns: 500 },
    );
  });

  const messageSchemas: Record<string, z.ZodType> = {
    req: requestMessage,
    res: responseMessage,
    challenge: challengeMessage,
    welcome: welcomeMessage,
    event: eventMessage,
    error: errorMessage,
  };

  it('fastMessage accepts only what the schema of its type accepts, with the same output', () => {
    const messages = fc.oneof(
      challengeGen.near,
      welcomeGen.near,
      eventGen.near,
      errorGen.near,
      helloGen.near,
      shapes['req envelope'].gen.near,
      shapes['res envelope'].gen.near,
    );
    const accepted = new Set<string>();
    fc.assert(
      fc.property(messages, (raw) => {
        const out = fastMessage(raw);
        if (out === undefined) return;
        accepted.add(out.type);
        const type = (raw as { type: string }).type;
        expect(out.type).toBe(type);
        const parsed = messageSchemas[type]?.safeParse(raw);
        expect(parsed?.success, parsed?.error?.message).toBe(true);
        expectSameOutput(out, parsed?.data);
        expectSameKeyOrder(out, parsed?.data);
      }),
      { numRuns: 1500 },
    );
    expect([...accepted].sort()).toEqual(Object.keys(messageSchemas).sort());
  });

  it('takes typical handshakes, events and topologies off the wire on the fast path', () => {
    const messages = fc.oneof(
      challengeGen.valid,
      welcomeGen.valid,
      errorGen.valid,
      // what a node pushes is whatever msgpack carries
      fc.jsonValue().map((body) => ({ type: 'event', event: 'repair_progress', body })),
      topologyGen.valid.map((result) => ({ type: 'res', id: 7, ok: true, result })),
    );
    fc.assert(
      fc.property(messages, (message) => {
        const [decoded] = decodeFrame(encodeMessage(message as Message));
        const out = fastMessage(decoded);
        expect(out).toBeDefined();
        if (out?.type === 'res')
          expect(fastResult('topology', out.ok ? out.result : undefined)).toBeDefined();
      }),
      { numRuns: 300 },
    );
  });

  it('takes what a node sends a client on the fast path, as validate.ts and zod read it', () => {
    const secret = 'swordfish';
    const challenge = challengeFor('ringkv', 'node-1');
    const hello = helloFor(challenge, { role: 'client', clusterName: 'ringkv', secret });
    const refused = new RingkvError('UNAUTHORIZED', 'cluster name mismatch', { clusterName: 'ringkv' });
    const messages: Message[] = [
      challenge,
      welcomeFor(hello, challenge, undefined),
      // a node sets maxValueBytes before mac; the output has the schema's order
      welcomeFor(hello, challenge, secret, DEFAULT_MAX_VALUE_BYTES),
      { type: 'event', event: 'repair_progress', body: { rangesDone: 3, ranges: 16, keysStreamed: 1200 } },
      { type: 'error', error: refused.toWire() },
    ];
    for (const message of messages) {
      const [raw] = decodeFrame(encodeMessage(message));
      const out = fastMessage(raw);
      expect(out, message.type).toBeDefined();
      expectSameOutput(out, parseMessage(raw));
      const parsed = messageSchemas[message.type]?.parse(raw);
      expectSameOutput(out, parsed);
      expectSameKeyOrder(out, parsed);
    }

    // As Membership.topology() builds it: tokens are bigints in decimal, optional fields only when known.
    const tokens = (first: bigint) =>
      Array.from({ length: 16 }, (_, i) => String(first + BigInt(i) * 2n ** 59n));
    const topology: OpResult<'topology'> = {
      clusterName: 'ringkv',
      hostId: 'node-1',
      nodes: [
        {
          hostId: 'node-1',
          address: 'ws://127.0.0.1:7400',
          dc: 'dc1',
          rack: 'rack1',
          tokens: tokens(-(2n ** 63n)),
          status: 'NORMAL',
          state: 'UP',
          load: 5_000_000_000,
        },
        {
          hostId: 'node-2',
          address: 'ws://127.0.0.1:7401',
          dc: 'dc2',
          rack: 'rack1',
          tokens: tokens(-42n),
          status: 'JOINING',
          state: 'UP',
          load: 0,
          streamProgress: 0.25,
          clockOffsetMs: -3.5,
        },
        {
          hostId: 'node-3',
          address: 'ws://127.0.0.1:7402',
          dc: 'dc1',
          rack: 'rack2',
          tokens: [...tokens(7n), String(2n ** 63n - 1n)],
          status: 'LEAVING',
          state: 'DOWN',
          load: 123_456,
          streamProgress: 1,
          clockOffsetMs: 12,
        },
      ],
      keyspaces: Object.fromEntries([
        ['default', { strategy: 'simple', rf: 3 }],
        ['geo', { strategy: 'network', dcs: { dc1: 3, dc2: 0 } }],
      ]),
    };
    const [raw] = decodeFrame(encodeMessage({ type: 'res', id: 3, ok: true, result: topology }));
    const envelope = fastMessage(raw);
    expect(envelope?.type === 'res' && envelope.ok).toBe(true);
    const result = envelope?.type === 'res' && envelope.ok ? envelope.result : undefined;
    const out = fastResult('topology', result);
    expect(out).toBeDefined();
    expectSameOutput(out, parseResult('topology', result));
    const parsed = OPS.topology.result.parse(result);
    expectSameOutput(out, parsed);
    expectSameKeyOrder(out, parsed);
    expectSameOutput(out, topology);
  });

  it('takes typical frames off the wire on the fast path', () => {
    const frames = fc.oneof(
      ...ops.map((op) =>
        shapes[`${op} request`].gen.valid.map((body) => ({ op, message: { type: 'req', id: 7, op, body } })),
      ),
      ...ops.map((op) =>
        shapes[`${op} result`].gen.valid.map((result) => ({
          op,
          message: { type: 'res', id: 7, ok: true, result },
        })),
      ),
    );
    fc.assert(
      fc.property(frames, ({ op, message }) => {
        // Through msgpack, as a node receives it: byte strings come back as Buffers viewing the frame.
        const [decoded] = decodeFrame(encodeMessage(message as Message));
        if (message.type === 'req') {
          const envelope = fastRequestMessage(decoded);
          expect(envelope).toBeDefined();
          expect(shapes[`${op} request`].fast(envelope?.body)).toBeDefined();
        } else {
          const envelope = fastResponseMessage(decoded);
          expect(envelope?.ok).toBe(true);
          const result = envelope?.ok === true ? envelope.result : undefined;
          expect(shapes[`${op} result`].fast(result)).toBeDefined();
        }
      }),
      { numRuns: 300 },
    );
  });
});
