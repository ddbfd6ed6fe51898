import type { ConsistencyLevel } from '../../src/protocol/consistency.js';
import { RingkvError } from '../../src/protocol/errors.js';
import type { OpName } from '../../src/protocol/ops/index.js';
import { parseRequestBody } from '../../src/protocol/validate.js';
import { tokenOf } from '../../src/ring/partitioner.js';
import { replicasFor } from '../../src/ring/strategy.js';
import type { HostId, Logger, PeerMessage } from '../../src/node/world.js';
import { check } from './checker.js';
import { SimCluster } from './cluster.js';
import type { JournalEntry, Op, ReplicaCell, Violation } from './history.js';
import { SimNetwork, type NetworkStats } from './network.js';
import { Prng } from './prng.js';
import { VirtualTime } from './virtual-time.js';

const KEYSPACE = 'default';
const RF = 3;
const WRITE_CLS: readonly ConsistencyLevel[] = ['ANY', 'ONE', 'TWO', 'QUORUM', 'ALL'];
const READ_CLS: readonly ConsistencyLevel[] = ['ONE', 'TWO', 'QUORUM', 'ALL'];
const FAULT_KINDS = ['partition', 'one-way', 'crash', 'power-loss', 'flaky', 'slow', 'clock-jump'] as const;
type FaultKind = (typeof FAULT_KINDS)[number];

export interface SimOptions {
  /** Virtual ms of client traffic under faults. */
  faultPhaseMs?: number;
  /** Keep node log lines for the trace. */
  verbose?: boolean;
}

export interface SimStats {
  nodes: number;
  clients: number;
  keys: number;
  skewMs: number;
  faultKinds: FaultKind[];
  ops: number;
  acknowledged: number;
  failed: Record<string, number>;
  faults: Record<string, number>;
  network: NetworkStats;
  virtualMs: number;
  events: number;
}

export interface SimResult {
  seed: number;
  violations: Violation[];
  stats: SimStats;
  ops: Op[];
  journal: JournalEntry[];
  finals: Map<string, ReplicaCell[]>;
  logs: string[];
}

/**
 * One seeded run: boot a cluster, let clients read and write under a random fault schedule, then
 * heal everything, let hints drain, repair every node, and check the history.
 */
export async function runSeed(seed: number, options: SimOptions = {}): Promise<SimResult> {
  const rng = new Prng(seed);
  const time = new VirtualTime();
  const netRng = rng.fork();
  const network = new SimNetwork(time, netRng);
  const journal: JournalEntry[] = [];
  const logs: string[] = [];
  const note = (text: string) => journal.push({ at: time.nowMs, text });
  const violations: Violation[] = [];

  const nodeCount = 3 + rng.int(5);
  const clients = 2 + rng.int(4);
  const keyCount = 3 + rng.int(8);
  const skewMs = rng.pick([0, 2, 50, 500]);
  const faultKinds = FAULT_KINDS.filter(() => rng.chance(0.7));
  const gossipIntervalMs = 100;
  const requestTimeoutMs = 150 + rng.int(200);
  const faultPhaseMs = options.faultPhaseMs ?? 5000;
  // Slow disks widen the window in which a crash catches writes not yet synced.
  const maxSyncMs = rng.pick([1, 5, 30]);

  const loggerFor = (hostId: HostId): Logger => {
    const log = (level: string) => (message: string, fields?: Record<string, unknown>) => {
      if (options.verbose)
        logs.push(
          `${time.nowMs.toFixed(1).padStart(9)} ${hostId} ${level} ${message} ${fields ? JSON.stringify(fields) : ''}`,
        );
    };
    return { info: log('info'), warn: log('warn'), error: log('error'), debug: () => {} };
  };
  const cluster = new SimCluster(
    time,
    network,
    rng.fork(),
    { nodes: nodeCount, numTokens: 4, gossipIntervalMs, requestTimeoutMs, maxSkewMs: skewMs, maxSyncMs },
    loggerFor,
    note,
  );

  // (d): a put reported UNAVAILABLE must never travel to a replica or into a hint.
  const ops: Op[] = [];
  const unavailable = new Set<string>();
  network.inspect = (from, to, message) => {
    if (unavailable.size === 0) return;
    for (const value of carriedValues(message)) {
      if (unavailable.has(value)) {
        violations.push({
          property: 'd',
          message: `value ${JSON.stringify(value)} of an UNAVAILABLE put sent ${from} -> ${to}`,
        });
      }
    }
  };

  const rejections: unknown[] = [];
  const onRejection = (e: unknown) => rejections.push(e);
  process.on('unhandledRejection', onRejection);
  try {
    note(
      `seed ${seed}: ${nodeCount} nodes, ${clients} clients, ${keyCount} keys, skew <= ${skewMs} ms, fsync <= ${maxSyncMs} ms, request timeout ${requestTimeoutMs} ms, faults: ${faultKinds.join(', ') || 'none'}`,
    );
    await cluster.boot();
    if (!(await time.runUntil(() => cluster.converged(), 20_000)))
      violations.push({
        property: 'e',
        message: 'the cluster did not form: not every node sees every other UP',
      });
    network.faults = {
      dropRate: 0.01,
      duplicateRate: 0.01,
      minLatencyMs: 0.2,
      maxLatencyMs: 15,
      spikeRate: 0.01,
    };
    note('fault phase starts');

    const faultEnd = time.nowMs + faultPhaseMs;
    const sleep = (ms: number) => new Promise<void>((resolve) => time.schedule(ms, resolve));
    const faultCounts: Record<string, number> = {};
    const faultRng = rng.fork();
    let healed = false;
    // A fault's end must not undo the healing: after it, the network stays calm.
    const later = (ms: number, undo: () => void) => time.schedule(ms, () => healed || undo());

    const runFaults = async () => {
      while (faultKinds.length > 0 && time.nowMs < faultEnd - 500) {
        await sleep(faultRng.range(150, 900));
        const kind = faultRng.pick(faultKinds);
        faultCounts[kind] = (faultCounts[kind] ?? 0) + 1;
        const lasts = faultRng.range(200, 2500);
        const ids = cluster.nodes.map((n) => n.hostId);
        if (kind === 'partition') {
          const side = ids.filter(() => faultRng.chance(0.5));
          const rest = ids.filter((h) => !side.includes(h));
          const block = network.partition(side, rest, false);
          note(`partition [${side.join(' ')}] | [${rest.join(' ')}] for ${lasts.toFixed(0)} ms`);
          later(lasts, () => network.unblock(block));
        } else if (kind === 'one-way') {
          const from = faultRng.pick(ids);
          const to = ids.filter((h) => h !== from && faultRng.chance(0.6));
          const block = network.partition([from], to, true);
          note(`one-way: ${from} cannot reach [${to.join(' ')}] for ${lasts.toFixed(0)} ms`);
          later(lasts, () => network.unblock(block));
        } else if (kind === 'crash' || kind === 'power-loss') {
          // power-loss: several nodes die at the same instant, as in a rack losing power.
          const up = cluster.running().map((n) => n.hostId);
          const count = kind === 'crash' ? 1 : 2 + faultRng.int(Math.max(1, up.length - 2));
          for (let i = 0; i < count && up.length > 1; i++) {
            const victim = up.splice(faultRng.int(up.length), 1)[0] as string;
            cluster.crash(victim);
            later(faultRng.range(100, 2500), () => void cluster.restart(victim));
          }
        } else if (kind === 'clock-jump') {
          // An operator or NTP steps a node's wall clock, either way; the monotonic clock goes on.
          const n = faultRng.pick(cluster.nodes);
          const step = faultRng.range(-2000, 2000);
          n.skewMs += step;
          note(`${n.hostId} wall clock stepped ${step >= 0 ? '+' : ''}${step.toFixed(0)} ms`);
        } else if (kind === 'flaky') {
          const before = network.faults;
          network.faults = {
            ...before,
            dropRate: faultRng.range(0.05, 0.3),
            duplicateRate: faultRng.range(0, 0.2),
          };
          note(
            `flaky network: drop ${network.faults.dropRate.toFixed(2)}, duplicate ${network.faults.duplicateRate.toFixed(2)} for ${lasts.toFixed(0)} ms`,
          );
          later(lasts, () => (network.faults = { ...network.faults, dropRate: 0.01, duplicateRate: 0.01 }));
        } else {
          network.faults = {
            ...network.faults,
            maxLatencyMs: requestTimeoutMs * faultRng.range(0.3, 1.5),
            spikeRate: 0.05,
          };
          note(
            `slow network: latency up to ${network.faults.maxLatencyMs.toFixed(0)} ms for ${lasts.toFixed(0)} ms`,
          );
          later(lasts, () => (network.faults = { ...network.faults, maxLatencyMs: 15, spikeRate: 0.01 }));
        }
      }
    };

    let nextOp = 1;
    const clientTimeoutMs = requestTimeoutMs * 4;
    const runClient = async (client: number, crng: Prng) => {
      let seq = 0;
      while (time.nowMs < faultEnd) {
        await sleep(crng.range(1, 40));
        const up = cluster.running();
        if (up.length === 0) continue;
        const target = crng.pick(up);
        const node = target.node;
        if (!node) continue;
        const roll = crng.next();
        const kind: Op['kind'] = roll < 0.45 ? 'put' : roll < 0.6 ? 'del' : 'get';
        const key = `k${crng.int(keyCount)}`;
        const op: Op = {
          id: nextOp++,
          client,
          kind,
          key,
          cl: crng.pick(kind === 'get' ? READ_CLS : WRITE_CLS),
          node: target.hostId,
          start: time.nowMs,
          outcome: 'pending',
        };
        if (kind === 'put') op.value = `c${client}.${++seq}`;
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
              };
        const answer = node.handle(opName, parseRequestBody(opName, raw), { kind: 'client' });
        const timeout = new Promise<'timeout'>((resolve) =>
          time.schedule(clientTimeoutMs, () => resolve('timeout')),
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
            if (r.timestamp !== undefined) op.timestamp = r.timestamp;
            if (kind === 'get') {
              op.found = r.found ?? false;
              if (r.value) op.readValue = Buffer.from(r.value).toString();
            } else {
              op.acks = r.acks ?? [];
              op.hinted = r.hinted ?? [];
            }
          }
        } catch (e) {
          op.outcome = 'error';
          op.code = e instanceof RingkvError ? e.code : 'THROWN';
          op.message = e instanceof Error ? e.message : String(e);
          if (op.code === 'UNAVAILABLE' && op.value !== undefined) unavailable.add(op.value);
        }
        op.end = time.nowMs;
        answer.catch(() => undefined);
      }
    };

    const work = Promise.all([
      runFaults(),
      ...Array.from({ length: clients }, (_, i) => runClient(i + 1, rng.fork())),
    ]);
    await time.settle(work, faultPhaseMs + clientTimeoutMs * 4, 'the fault phase');

    // ---- heal ----
    note('healing: network calm, every node restarted');
    healed = true;
    network.healAll();
    for (const n of cluster.nodes)
      if (!n.node) await time.settle(cluster.restart(n.hostId), 5000, `restarting ${n.hostId}`);
    if (!(await time.runUntil(() => cluster.converged(), 30_000)))
      violations.push({ property: 'e', message: 'after healing, not every node sees every other UP' });
    const hintsLeft = async () => {
      let n = 0;
      for (const s of cluster.running()) for (const t of (await s.node?.hints.summary()) ?? []) n += t.count;
      return n;
    };
    if (!(await time.runUntil(async () => (await hintsLeft()) === 0, 60_000, 200)))
      violations.push({ property: 'e', message: `hints did not drain: ${await hintsLeft()} left` });
    note('hints drained; repairing every node');
    for (const n of cluster.running()) {
      const summary = (await time.settle(
        n.node?.handle(
          'repair',
          { keyspace: KEYSPACE, primaryRangeOnly: true, full: true, preview: false },
          { kind: 'client' },
        ) ?? Promise.resolve(undefined),
        120_000,
        `repair on ${n.hostId}`,
      )) as { failedRanges: { reason: string }[]; keysStreamed: number } | undefined;
      if (summary && summary.failedRanges.length > 0)
        violations.push({
          property: 'e',
          message: `repair on ${n.hostId} failed ${summary.failedRanges.length} range(s): ${summary.failedRanges[0]?.reason}`,
        });
      if (summary) note(`repair on ${n.hostId}: ${summary.keysStreamed} keys streamed`);
    }

    // ---- what the replicas hold ----
    const finals = new Map<string, ReplicaCell[]>();
    const first = cluster.running()[0]?.node;
    if (first) {
      const ring = first.membership.ring();
      for (let k = 0; k < keyCount; k++) {
        const key = `k${k}`;
        const token = tokenOf(Buffer.from(key));
        const cells: ReplicaCell[] = [];
        for (const r of replicasFor(ring, { strategy: 'simple', rf: RF }, token)) {
          const node = cluster.byId(r.hostId).node;
          const cell = node
            ? await time.settle(node.cells.get(KEYSPACE, token, Buffer.from(key)), 1000, 'reading a cell')
            : undefined;
          cells.push({ hostId: r.hostId, cell });
        }
        finals.set(key, cells);
      }
    }
    for (const e of time.errors)
      violations.push({ property: 'e', message: `a timer callback threw: ${String(e)}` });
    await new Promise((resolve) => setImmediate(resolve));
    for (const e of rejections)
      violations.push({
        property: 'e',
        message: `unhandled rejection: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
      });
    violations.push(...check({ ops, rf: RF, finals }));
    for (const n of cluster.running()) n.node?.stop();

    const failed: Record<string, number> = {};
    for (const o of ops)
      if (o.outcome === 'error' || o.outcome === 'timeout')
        failed[o.code ?? 'CLIENT_TIMEOUT'] = (failed[o.code ?? 'CLIENT_TIMEOUT'] ?? 0) + 1;
    faultCounts.crash = cluster.nodes.reduce((a, n) => a + n.crashes, 0);
    return {
      seed,
      violations,
      ops,
      journal,
      finals,
      logs,
      stats: {
        nodes: nodeCount,
        clients,
        keys: keyCount,
        skewMs,
        faultKinds,
        ops: ops.length,
        acknowledged: ops.filter((o) => o.outcome === 'ok').length,
        failed,
        faults: faultCounts,
        network: network.stats,
        virtualMs: time.nowMs,
        events: time.events,
      },
    };
  } finally {
    process.off('unhandledRejection', onRejection);
  }
}

/** The values a peer message carries to a replica or a hint store. */
function carriedValues(message: PeerMessage): string[] {
  if (message.type !== 'req') return [];
  const body = message.body as { cell?: { value?: unknown }; cells?: { cell?: { value?: unknown } }[] };
  const cells =
    message.op === 'replica_write' || message.op === 'hint_store'
      ? [body.cell]
      : message.op === 'replica_write_batch'
        ? (body.cells ?? []).map((c) => c.cell)
        : [];
  return cells.flatMap((c) => (c?.value instanceof Uint8Array ? [Buffer.from(c.value).toString()] : []));
}
