import type { ConsistencyLevel } from '../../src/protocol/consistency.js';
import { RingkvError } from '../../src/protocol/errors.js';
import type { OpName } from '../../src/protocol/ops/index.js';
import { parseRequestBody } from '../../src/protocol/validate.js';
import { tokenOf } from '../../src/ring/partitioner.js';
import { replicasFor } from '../../src/ring/strategy.js';
import { ringRole, type SimCluster } from './cluster.js';
import type { Op, Violation } from './history.js';
import type { Prng } from './prng.js';
import { SIM_EPOCH_MS, type VirtualTime } from './virtual-time.js';

export const KEYSPACE = 'default';
export const RF = 3;
const WRITE_CLS: readonly ConsistencyLevel[] = ['ANY', 'ONE', 'TWO', 'QUORUM', 'ALL'];
const READ_CLS: readonly ConsistencyLevel[] = ['ONE', 'TWO', 'QUORUM', 'ALL'];
/** TTLs in seconds: most run out during the run; the long one outlives the purge at the end. */
const TTLS = [1, 2, 4, 30 * 24 * 3600] as const;

export interface WorkloadContext {
  time: VirtualTime;
  cluster: SimCluster;
  /** Keys the clients read and write all through the run. */
  hotKeys: readonly string[];
  /** Every key: the hot ones and those written once before the faults (preload). */
  keys: readonly string[];
  /** Share of puts written with a TTL, and of writes carrying the client's own timestamp. */
  ttlRate: number;
  clientTimestampRate: number;
  clientTimeoutMs: number;
  /** Every op of every client, in the order they started. */
  ops: Op[];
  nextOpId(): number;
  /** Values of puts reported UNAVAILABLE: property (d) watches for them on the network. */
  unavailable: Set<string>;
  violations: Violation[];
}

/**
 * One client: until `until`, random put, get and del of a few keys at random CLs, each sent to a
 * random node that is in the ring (as a driver routes by topology), with a timeout of its own.
 * Some puts carry a TTL and some writes the client's own timestamp (with its own clock skew, now
 * and then equal to one it used before, so that ties between cells are exercised).
 */
export async function runClient(
  ctx: WorkloadContext,
  client: number,
  rng: Prng,
  until: number,
): Promise<void> {
  const { time, cluster } = ctx;
  const clientSkewMs = rng.range(-300, 300);
  const lastTimestamp = new Map<string, number>();
  let seq = 0;
  while (time.nowMs < until) {
    await time.sleep(rng.range(1, 40));
    const up = cluster.running().filter((n) => ['normal', 'leaving'].includes(ringRole(n.declared)));
    if (up.length === 0) continue;
    const target = rng.pick(up);
    const node = target.node;
    if (!node) continue;
    const roll = rng.next();
    const kind: Op['kind'] = roll < 0.45 ? 'put' : roll < 0.6 ? 'del' : 'get';
    const key = rng.pick(ctx.hotKeys);
    const op: Op = {
      id: ctx.nextOpId(),
      client,
      kind,
      key,
      cl: rng.pick(kind === 'get' ? READ_CLS : WRITE_CLS),
      node: target.hostId,
      start: time.nowMs,
      outcome: 'pending',
    };
    if (kind === 'put') op.value = `c${client}.${++seq}`;
    if (kind === 'put' && rng.chance(ctx.ttlRate)) op.ttl = rng.pick(TTLS);
    if (kind !== 'get' && rng.chance(ctx.clientTimestampRate)) {
      const previous = lastTimestamp.get(key);
      op.timestamp =
        previous !== undefined && rng.chance(0.3)
          ? previous
          : Math.floor((SIM_EPOCH_MS + time.nowMs + clientSkewMs + rng.range(-500, 50)) * 1000);
      op.clientTimestamp = true;
      lastTimestamp.set(key, op.timestamp);
    }
    await perform(ctx, op);
  }
}

/**
 * Each cold key written once, at a random CL, and never again: before the faults (calm, so every
 * replica takes it), or during them, spread over `spreadMs` (so some replicas miss it). Hot keys
 * are overwritten all the time, which hides a replica that lost old data; cold keys show it.
 */
export async function writeColdKeys(
  ctx: WorkloadContext,
  coldKeys: readonly string[],
  rng: Prng,
  spreadMs: number,
): Promise<void> {
  for (const key of coldKeys) {
    if (spreadMs > 0) await ctx.time.sleep(rng.range(0, (2 * spreadMs) / coldKeys.length));
    const up = ctx.cluster.running().filter((n) => ['normal', 'leaving'].includes(ringRole(n.declared)));
    if (up.length === 0) continue;
    const op: Op = {
      id: ctx.nextOpId(),
      client: 0,
      kind: 'put',
      key,
      cl: rng.pick(WRITE_CLS),
      node: rng.pick(up).hostId,
      start: ctx.time.nowMs,
      outcome: 'pending',
      value: `${key}.once`,
    };
    if (rng.chance(ctx.ttlRate)) op.ttl = rng.pick(TTLS);
    await perform(ctx, op);
  }
}

/**
 * After healing, before repair: every key read at ONE and QUORUM through each of its replicas (a
 * replica coordinating a read asks itself first, so this shows what each one holds) and at ALL.
 * The cluster is calm and every change done, so (b) holds these reads to everything acknowledged.
 */
export async function verificationReads(ctx: WorkloadContext, rng: Prng): Promise<void> {
  const ring = ctx.cluster.truthRing();
  if (ring.size === 0) return;
  for (const key of ctx.keys) {
    const replicas = replicasFor(ring, { strategy: 'simple', rf: RF }, tokenOf(Buffer.from(key)));
    const reads: [string, ConsistencyLevel][] = replicas.flatMap((r) => [
      [r.hostId, 'ONE'] as [string, ConsistencyLevel],
      [r.hostId, 'QUORUM'] as [string, ConsistencyLevel],
    ]);
    reads.push([rng.pick(replicas).hostId, 'ALL']);
    for (const [node, cl] of reads) {
      if (!ctx.cluster.byId(node).node) continue;
      await perform(ctx, {
        id: ctx.nextOpId(),
        client: 0,
        kind: 'get',
        key,
        cl,
        node,
        start: ctx.time.nowMs,
        outcome: 'pending',
      });
    }
  }
}

/** Sends one op to its node and records what the client hears, or that it gave up waiting. */
async function perform(ctx: WorkloadContext, op: Op): Promise<void> {
  const { time, cluster, ops } = ctx;
  const { kind, key } = op;
  const target = cluster.byId(op.node);
  const node = target.node;
  if (!node) return;
  if (op.ttl !== undefined && op.timestamp !== undefined) op.expiresAt = op.timestamp + op.ttl * 1_000_000;
  op.replicas = replicasFor(
    node.membership.ring(),
    { strategy: 'simple', rf: RF },
    tokenOf(Buffer.from(key)),
  ).map((n) => n.hostId);
  const lagging = cluster.lagging(node);
  if (lagging.length > 0) op.lagging = lagging;
  op.wallStart = cluster.wallMicros(target.hostId);
  const skewAtStart = target.skewMs;
  ops.push(op);

  const opName: OpName = kind === 'get' ? 'read' : 'mutate';
  const raw =
    kind === 'get'
      ? { keyspace: KEYSPACE, key: Buffer.from(key), cl: op.cl }
      : {
          keyspace: KEYSPACE,
          key: Buffer.from(key),
          value: kind === 'put' ? Buffer.from(op.value ?? '') : null,
          cl: op.cl,
          ...(op.clientTimestamp ? { timestamp: op.timestamp } : {}),
          ...(op.ttl !== undefined ? { ttl: op.ttl } : {}),
        };
  const answer = cluster.call(target.hostId, () =>
    node.handle(opName, parseRequestBody(opName, raw), { kind: 'client' }),
  );
  const timeout = new Promise<'timeout'>((resolve) =>
    time.schedule(ctx.clientTimeoutMs, () => resolve('timeout')),
  );
  try {
    const result = await Promise.race([answer, timeout]);
    if (result === 'timeout') {
      op.outcome = 'timeout';
    } else {
      op.outcome = 'ok';
      const r = result as {
        timestamp?: number;
        acks?: string[];
        hinted?: string[];
        found?: boolean;
        value?: Uint8Array;
      };
      if (op.clientTimestamp && r.timestamp !== op.timestamp) {
        ctx.violations.push({
          property: 'a',
          key,
          message: `op #${op.id} supplied timestamp ${op.timestamp}, the node wrote ${r.timestamp}`,
        });
      }
      if (r.timestamp !== undefined) op.timestamp = r.timestamp;
      if (kind === 'get') {
        op.found = r.found ?? false;
        if (r.value) op.readValue = Buffer.from(r.value).toString();
      } else {
        op.acks = r.acks ?? [];
        op.hinted = r.hinted ?? [];
        if (op.ttl !== undefined && op.timestamp !== undefined)
          op.expiresAt = op.timestamp + op.ttl * 1_000_000;
      }
    }
  } catch (e) {
    op.outcome = 'error';
    op.code = e instanceof RingkvError ? e.code : 'THROWN';
    op.message = e instanceof Error ? e.message : String(e);
    if (op.code === 'UNAVAILABLE' && op.value !== undefined) ctx.unavailable.add(op.value);
  }
  op.end = time.nowMs;
  op.wallEnd = cluster.wallMicros(target.hostId);
  if (target.skewMs !== skewAtStart) op.clockStepped = true;
  answer.catch(() => undefined);
}
