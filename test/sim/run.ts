import type { Cell } from '../../src/protocol/cell.js';
import { RingkvError } from '../../src/protocol/errors.js';
import { tokenOf } from '../../src/ring/partitioner.js';
import { replicasFor } from '../../src/ring/strategy.js';
import type { HostId, Logger, PeerMessage } from '../../src/node/world.js';
import { check, divergent } from './checker.js';
import { eraHas, LATEST_ERA, type SimEra } from './era.js';
import { SimCluster } from './cluster.js';
import { FAULT_KINDS, runFaults, runStalls, runStops, type FaultContext, type FaultKind } from './faults.js';
import type { JournalEntry, KeyMove, Op, ReplicaCell, Violation } from './history.js';
import { MembershipDriver } from './moves.js';
import { SimNetwork, type NetworkStats } from './network.js';
import { stoppedTrace } from './trace.js';
import { Prng } from './prng.js';
import { VirtualTime } from './virtual-time.js';
import {
  KEYSPACE,
  RF,
  runClient,
  writeColdKeys,
  verificationReads,
  type WorkloadContext,
} from './workload.js';

/**
 * `faults`: a fixed ring under every kind of fault. `membership`: the same, while nodes join,
 * decommission and get removed.
 */
export type Scenario = 'faults' | 'membership';

/** Tombstones live this long in the simulated cluster, as in the daemon's default (10 days). */
const GC_GRACE_SECONDS = 10 * 24 * 3600;
/** Mixed into the seed for the stall schedule's own generator. */
const STALL_STREAM = 0x5bd1e995;
/** And for the graceful stops'. */
const STOP_STREAM = 0x27d4eb2f;
/** About three rows of the workload's keys and values. */
const TINY_ROW_CACHE_BYTES = 600;

export interface SimOptions {
  scenario?: Scenario;
  /** Virtual ms of client traffic under faults. */
  faultPhaseMs?: number;
  /** Keep node log lines for the trace. */
  verbose?: boolean;
  /** The faults of which era to inject (default the latest). */
  era?: SimEra;
}

export interface SimStats {
  scenario: Scenario;
  nodes: number;
  clients: number;
  keys: number;
  skewMs: number;
  faultKinds: FaultKind[];
  era: SimEra;
  /** Whether this seed stops nodes gracefully (half the seeds of the era that does). */
  stops: boolean;
  ops: number;
  acknowledged: number;
  failed: Record<string, number>;
  faults: Record<string, number>;
  membershipChanges: number;
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
  moves: KeyMove[];
  finals: Map<string, ReplicaCell[]>;
  logs: string[];
}

export async function runSeed(seed: number, options: SimOptions = {}): Promise<SimResult> {
  const scenario = options.scenario ?? 'faults';
  const era = options.era ?? LATEST_ERA;
  const stalls = eraHas(era, 'stalls');
  const stopRng = new Prng((seed ^ STOP_STREAM) >>> 0);
  // Half the seeds: the others keep the crashes' variety of a cluster never stopped cleanly.
  const stops = eraHas(era, 'stops') && stopRng.chance(0.5);
  const membership = scenario === 'membership';
  const rng = new Prng(seed);
  const time = new VirtualTime();
  const netRng = rng.fork();
  const network = new SimNetwork(time, netRng);
  const journal: JournalEntry[] = [];
  const logs: string[] = [];
  const note = (text: string) => journal.push({ at: time.nowMs, text });
  const violations: Violation[] = [];

  // A decommission or removenode needs more nodes than RF to leave from.
  const nodeCount = membership ? 4 + rng.int(3) : 3 + rng.int(5);
  const clients = 2 + rng.int(4);
  const keyCount = 3 + rng.int(8);
  const hotKeys = Array.from({ length: keyCount }, (_, k) => `k${k}`);
  const coldKeys = Array.from({ length: membership ? 40 : 10 }, (_, k) => `cold${k}`);
  const keys = [...hotKeys, ...coldKeys];
  const skewMs = rng.pick([0, 2, 50, 500]);
  const faultKinds = FAULT_KINDS.filter(() => rng.chance(membership ? 0.5 : 0.7));
  const gossipIntervalMs = 100;
  const requestTimeoutMs = 150 + rng.int(200);
  const faultPhaseMs = options.faultPhaseMs ?? (membership ? 9000 : 5000);
  // Slow disks widen the window in which a crash catches writes not yet synced.
  const maxSyncMs = rng.pick([1, 5, 30]);
  // A cache of a few rows on every third seed: evictions, and merges that must read storage,
  // race the faults too. Chosen from the seed, not drawn, so other seeds keep their scenarios.
  const rowCacheBytes = seed % 3 === 0 ? TINY_ROW_CACHE_BYTES : undefined;
  // On every fifth seed a crash fault fills the node's disk instead, chosen the same way: the node
  // runs on until a write fails, answers it, and stops.
  const diskFull = seed % 5 === 4;
  // On odd seeds one node repairs every range (whether it replicates it or not), on even seeds
  // every node repairs its primary ranges: both cover the keyspace.
  const repairAllFromOne = seed % 2 === 1;
  const workloadRng = rng.fork();
  const ttlRate = workloadRng.pick([0, 0.1, 0.3]);
  const clientTimestampRate = workloadRng.pick([0, 0.1, 0.3]);

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
    {
      nodes: nodeCount,
      numTokens: 4,
      gossipIntervalMs,
      // Longer than any write takes, so a write that began before a move was announced is on the
      // replica a joiner streams from before the joiner streams (Cassandra's ring delay).
      ringDelayMs: Math.max(gossipIntervalMs * 3, requestTimeoutMs * 3),
      requestTimeoutMs,
      maxSkewMs: skewMs,
      maxSyncMs,
      gcGraceSeconds: GC_GRACE_SECONDS,
      rowCacheBytes,
    },
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
  const driver = new MembershipDriver(time, cluster, rng.fork(), keys, note, violations);

  const rejections: unknown[] = [];
  const onRejection = (e: unknown) => rejections.push(e);
  process.on('unhandledRejection', onRejection);
  try {
    note(
      `seed ${seed} (${scenario}): ${nodeCount} nodes, ${clients} clients, ${keyCount} keys, skew <= ${skewMs} ms, fsync <= ${maxSyncMs} ms, request timeout ${requestTimeoutMs} ms, TTL puts ${ttlRate}, client timestamps ${clientTimestampRate}, row cache ${rowCacheBytes === undefined ? 'default' : `${rowCacheBytes} B`}${diskFull ? ', crashes fill disks' : ''}${repairAllFromOne ? ', one node repairs every range' : ''}, faults: ${faultKinds.join(', ') || 'none'}${stalls ? ', stalls' : ''}${stops ? ', graceful stops' : ''}`,
    );
    await cluster.boot();
    if (!(await time.runUntil(() => cluster.converged(), 20_000)))
      violations.push({
        property: 'e',
        message: 'the cluster did not form: not every node sees every other UP',
      });
    let nextOp = 1;
    const clientTimeoutMs = requestTimeoutMs * 4;
    const workload: WorkloadContext = {
      time,
      cluster,
      hotKeys,
      keys,
      ttlRate,
      clientTimestampRate,
      clientTimeoutMs,
      ops,
      nextOpId: () => nextOp++,
      unavailable,
      violations,
    };
    const calmKeys = coldKeys.slice(0, coldKeys.length / 2);
    await time.settle(writeColdKeys(workload, calmKeys, workloadRng.fork(), 0), 60_000, 'the preload');
    note(`preload: ${calmKeys.length} keys written once`);
    network.faults = {
      dropRate: 0.01,
      duplicateRate: 0.01,
      minLatencyMs: 0.2,
      maxLatencyMs: 15,
      spikeRate: 0.01,
    };
    note('fault phase starts');

    const faultEnd = time.nowMs + faultPhaseMs;
    let healed = false;
    let faultCounts: Record<string, number> = {};
    const faultContext: FaultContext = {
      time,
      network,
      cluster,
      rng: rng.fork(),
      kinds: faultKinds,
      requestTimeoutMs,
      note,
      healed: () => healed,
      diskFull,
      ...(membership ? { focus: () => driver.moving() } : {}),
    };
    const faultsDone = runFaults(faultContext, faultEnd).then((c) => {
      faultCounts = { ...faultCounts, ...c };
    });
    const stallsDone = stalls
      ? runStalls({ ...faultContext, rng: new Prng((seed ^ STALL_STREAM) >>> 0) }, faultEnd).then((c) => {
          faultCounts = { ...faultCounts, ...c };
        })
      : Promise.resolve();
    const stopsDone = stops
      ? runStops({ ...faultContext, rng: stopRng }, faultEnd).then((c) => {
          faultCounts = { ...faultCounts, ...c };
        })
      : Promise.resolve();
    const work = Promise.all([
      faultsDone,
      stallsDone,
      stopsDone,
      ...Array.from({ length: clients }, (_, i) => runClient(workload, i + 1, workloadRng.fork(), faultEnd)),
      writeColdKeys(workload, coldKeys.slice(calmKeys.length), workloadRng.fork(), (faultPhaseMs * 2) / 3),
      membership ? driver.run(1 + rng.int(3), faultEnd) : Promise.resolve(),
    ]);
    await time.settle(work, faultPhaseMs + clientTimeoutMs * 4, 'the fault phase');

    // ---- heal ----
    note('healing: network calm, every node restarted');
    healed = true;
    cluster.resumeAll();
    network.healAll();
    cluster.freeDisks();
    for (const n of cluster.members())
      if (!n.node && !n.starting)
        await time.settle(cluster.restart(n.hostId), 5000, `restarting ${n.hostId}`);
    await time.settle(driver.finish(60_000), 70_000, 'finishing the membership change');
    if (!(await time.runUntil(() => cluster.converged(), 30_000)))
      violations.push({ property: 'e', message: 'after healing, not every node sees every other UP' });
    const truth = cluster.truthRing();
    const ringsAgree = () =>
      cluster.running().every(
        (n) =>
          n.node?.membership
            .ring()
            .nodes()
            .map((x) => x.hostId)
            .sort()
            .join() ===
          truth
            .nodes()
            .map((x) => x.hostId)
            .sort()
            .join(),
      );
    if (!(await time.runUntil(ringsAgree, 30_000)))
      violations.push({
        property: 'e',
        message: `after healing, the nodes disagree on the ring: ${cluster
          .running()
          .map(
            (n) =>
              `${n.hostId} sees [${n.node?.membership
                .ring()
                .nodes()
                .map((x) => x.hostId)
                .join(' ')}]`,
          )
          .join(', ')}; the nodes say [${truth
          .nodes()
          .map((x) => x.hostId)
          .join(' ')}]`,
      });
    // Cleanup on every node of the settled ring first: what it drops must be nothing the reads need.
    for (const n of cluster.running()) {
      if (!n.node) continue;
      try {
        const r = (await time.settle(
          n.node.handle('cleanup', {}, { kind: 'client' }),
          60_000,
          `cleanup on ${n.hostId}`,
        )) as {
          dropped: number;
        };
        note(`cleanup on ${n.hostId}: ${r.dropped} cells dropped`);
      } catch (e) {
        if (!(e instanceof RingkvError && e.code === 'REFUSED')) throw e;
        note(`cleanup on ${n.hostId} refused: ${e.message}`);
      }
    }
    const hintsLeft = async () => {
      const left: string[] = [];
      for (const s of cluster.running())
        for (const t of (await s.node?.hints.summary()) ?? [])
          if (t.count > 0) left.push(`${t.count} on ${s.hostId} for ${t.target}`);
      return left;
    };
    if (!(await time.runUntil(async () => (await hintsLeft()).length === 0, 60_000, 200)))
      violations.push({ property: 'e', message: `hints did not drain: ${(await hintsLeft()).join(', ')}` });
    note(
      repairAllFromOne
        ? 'hints drained; one node repairs every range'
        : 'hints drained; repairing every node',
    );
    for (const n of repairAllFromOne ? cluster.running().slice(0, 1) : cluster.running()) {
      const summary = (await time.settle(
        n.node?.handle(
          'repair',
          {
            keyspace: KEYSPACE,
            primaryRangeOnly: !repairAllFromOne,
            allRanges: repairAllFromOne,
            full: true,
            preview: false,
          },
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

    // Before any read: reads at ALL repair what they read, and would heal what repair missed.
    for (const v of divergent(await readFinals(time, cluster, keys)))
      violations.push({ ...v, message: `after hints and repair, before any read: ${v.message}` });
    await time.settle(verificationReads(workload, rng.fork()), 60_000, 'reading every key');
    note('every key read at ONE, QUORUM and ALL');

    // ---- what the replicas of the final ring hold ----
    const finals = await readFinals(time, cluster, keys);
    for (const a of [...cluster.anomalies, ...network.anomalies])
      violations.push({ property: 'e', message: a });
    for (const e of time.errors)
      violations.push({ property: 'e', message: `a timer callback threw: ${String(e)}` });
    await new Promise((resolve) => setImmediate(resolve));
    for (const e of rejections)
      violations.push({
        property: 'e',
        message: `unhandled rejection: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
      });
    violations.push(...check({ ops, rf: RF, finals, moves: driver.keyMoves, removed: driver.removed }));
    violations.push(...(await checkPurge(time, cluster, finals)));
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
      moves: driver.keyMoves,
      finals,
      logs,
      stats: {
        scenario,
        nodes: nodeCount,
        clients,
        keys: keyCount,
        skewMs,
        faultKinds,
        era,
        stops,
        ops: ops.length,
        acknowledged: ops.filter((o) => o.outcome === 'ok').length,
        failed,
        faults: faultCounts,
        membershipChanges: driver.changes,
        network: network.stats,
        virtualMs: time.nowMs,
        events: time.events,
      },
    };
  } catch (e) {
    throw new Error(stoppedTrace({ seed, scenario, era, journal, logs }, e), { cause: e });
  } finally {
    process.off('unhandledRejection', onRejection);
  }
}

/** Each key's replicas in the final ring (as the nodes themselves say it is) and their cells. */
async function readFinals(
  time: VirtualTime,
  cluster: SimCluster,
  keys: readonly string[],
): Promise<Map<string, ReplicaCell[]>> {
  const finals = new Map<string, ReplicaCell[]>();
  const ring = cluster.truthRing();
  if (ring.size === 0) return finals;
  for (const key of keys) {
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
  return finals;
}

/**
 * (f) gc_grace passes: every node's wall clock moves past it and each node purges. Tombstones and
 * values whose TTL ran out must go, everything else must stay exactly as it was.
 */
async function checkPurge(
  time: VirtualTime,
  cluster: SimCluster,
  finals: ReadonlyMap<string, readonly ReplicaCell[]>,
): Promise<Violation[]> {
  const out: Violation[] = [];
  const jumpMs = (GC_GRACE_SECONDS + 24 * 3600) * 1000;
  for (const n of cluster.running()) n.skewMs += jumpMs;
  for (const n of cluster.running()) {
    if (n.node) await time.settle(n.node.purgeTombstones(), 10_000, `purging on ${n.hostId}`);
  }
  for (const [key, replicas] of finals) {
    const token = tokenOf(Buffer.from(key));
    for (const r of replicas) {
      const node = cluster.byId(r.hostId).node;
      if (!node) continue;
      const now = cluster.wallMicros(r.hostId);
      // Dead past gc_grace: a tombstone, or a value whose TTL ran out more than gc_grace ago.
      const cutoff = now - GC_GRACE_SECONDS * 1_000_000;
      const dead = (c: Cell) => c.value === null || (c.expiresAt !== undefined && c.expiresAt <= cutoff);
      const expected = r.cell && !dead(r.cell) ? r.cell : undefined;
      const after = await time.settle(
        node.cells.get(KEYSPACE, token, Buffer.from(key)),
        1000,
        'reading a cell',
      );
      const same =
        (after === undefined && expected === undefined) ||
        (after !== undefined &&
          expected !== undefined &&
          after.timestamp === expected.timestamp &&
          after.expiresAt === expected.expiresAt &&
          Buffer.compare(Buffer.from(after.value ?? []), Buffer.from(expected.value ?? [])) === 0);
      if (!same)
        out.push({
          property: 'f',
          key,
          message: `${r.hostId} held ${describe(r.cell)} before the purge and ${describe(after)} after it; expected ${describe(expected)}`,
        });
    }
  }
  return out;
}

function describe(cell: Cell | undefined): string {
  if (!cell) return 'nothing';
  const what = cell.value === null ? 'tombstone' : JSON.stringify(Buffer.from(cell.value).toString());
  return `${what} @${cell.timestamp}${cell.expiresAt !== undefined ? ` expires @${cell.expiresAt}` : ''}`;
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
