/**
 * `npm run bench`: ringkv side by side with the limits of this machine and with etcd, in one run.
 *
 *  1. storage limit: classic-level synced batches (group commit) in one process; and how long
 *     one synced write takes, alone and with one to each of three LevelDBs at once (as the three
 *     replicas of a write sync on this one disk);
 *  2. transport limit: three processes exchanging msgpackr messages over ws (bench/transport.ts),
 *     and the round trip of one message at a time;
 *  3. a 3-node ringkv cluster, RF 3, durable, at ONE, QUORUM and ALL: closed loop at 1 and 64 in
 *     flight, then an open loop at half the maximum; once with a node coordinating each request
 *     (the default) and once with the client coordinating (`--coordination client`);
 *  4. a 3-member etcd cluster driven by the same load generator through the etcd3 client.
 * Both clusters stay up while 3 and 4 run, and their systems take turns step by step, so that a
 * slow minute on a shared machine falls on all of them.
 *
 * Prints one table with the target ratios and the machine, and writes it to bench/results.md.
 * Options: --quick (shorter runs), --skip-etcd.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ringkvTarget } from '../src/bench/ringkv-target.js';
import {
  loadRecords,
  runLoad,
  type BenchResult,
  type BenchTarget,
  type LoadMode,
} from '../src/bench/runner.js';
import { WORKLOADS } from '../src/bench/workload.js';
import { LocalCluster } from '../src/cli/local-cluster.js';
import type { Coordination } from '../src/client/api.js';
import { RingkvClient } from '../src/client/client.js';
import type { ConsistencyLevel } from '../src/protocol/consistency.js';
import { LevelStorage } from '../src/node/storage/level.js';
import { LatencyRecorder } from '../src/protocol/latency-recorder.js';
import { ensureEtcd, etcdTarget, startEtcd } from '../bench/etcd.js';
import { onInterrupt, stopOnSignals } from '../bench/interrupt.js';
import { StealLog } from '../bench/steal.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const quick = process.argv.includes('--quick');
const skipEtcd = process.argv.includes('--skip-etcd');

/** Seconds per measured run; the whole script must stay well under 10 minutes. */
const RUN_MS = quick ? 2_000 : 5_000;
const WARMUP_MS = quick ? 1_000 : 2_000;
const RECORDS = 10_000;
const VALUE_BYTES = 100;
const HIGH_CONCURRENCY = 64;
/**
 * Write throughput at HIGH_CONCURRENCY, which every throughput ratio rests on, is the median of
 * this many runs: on a shared machine one 5 s run moves by 10-20%, for every system alike, and
 * one system's round now and then by half (ringkv against etcd by round: 2.86, 5.89, 2.67).
 * Five rounds cost 70 s more than three and keep one odd round of either out of the median.
 */
const THROUGHPUT_RUNS = 5;
const OPEN_LOOP_MAX_IN_FLIGHT = 10_000;
const CLS: ConsistencyLevel[] = ['ONE', 'QUORUM', 'ALL'];
const COORDINATIONS: Coordination[] = ['node', 'client'];

/** Runs per consistency level, for one way of coordinating. */
type RunsByCl = Map<ConsistencyLevel, Runs>;

const say = (line: string) => process.stderr.write(`${line}\n`);

// ---------------------------------------------------------------- build

/** Nodes run the compiled binary: build when dist/ is missing or older than the sources. */
function ensureBuilt(): void {
  const newest = (dir: string): number => {
    let t = 0;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
    }
    return t;
  };
  const marker = join(ROOT, 'dist', 'commands', 'start.js');
  if (existsSync(marker) && statSync(marker).mtimeMs >= newest(join(ROOT, 'src'))) return;
  say('building dist/ (npm run build)...');
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}

// ---------------------------------------------------------------- limits

/** `count` empty LevelDBs in folders of their own for `use`, removed after it (also when interrupted). */
async function withStorages<T>(count: number, use: (storages: LevelStorage[]) => Promise<T>): Promise<T> {
  const dirs = Array.from({ length: count }, () => mkdtempSync(join(tmpdir(), 'ringkv-bench-storage-')));
  const remove = () => dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  const forget = onInterrupt(remove);
  const storages: LevelStorage[] = [];
  try {
    for (const dir of dirs) storages.push(await LevelStorage.open(dir));
    return await use(storages);
  } finally {
    await Promise.all(storages.map((s) => s.close()));
    remove();
    forget();
  }
}

const benchValue = new Uint8Array(VALUE_BYTES).fill(0x61);
const utf8 = new TextEncoder();

/** Synced group-committed batches from 256 writers into one LevelDB, for RUN_MS. */
function storageLimit(): Promise<{ opsPerSecond: number; writesPerSync: number }> {
  return withStorages(1, async ([storage]) => {
    const s = storage as LevelStorage;
    let next = 0;
    const start = performance.now();
    const deadline = start + RUN_MS;
    await Promise.all(
      Array.from({ length: 256 }, async () => {
        while (performance.now() < deadline) {
          await s.write([{ key: utf8.encode(`k${next++ % RECORDS}`), value: benchValue }]);
        }
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    return { opsPerSecond: Math.round(next / seconds), writesPerSync: next / s.stats.syncs };
  });
}

/**
 * p50 ms until one synced write to each of `count` LevelDBs, all started at once, is durable on
 * the first of them to finish, the second, and so on.
 */
function syncRounds(count: number): Promise<number[]> {
  return withStorages(count, async (storages) => {
    const nth = storages.map(() => new LatencyRecorder());
    const deadline = performance.now() + RUN_MS / 2;
    for (let i = 0; performance.now() < deadline; i++) {
      const key = utf8.encode(`k${i % RECORDS}`);
      const start = performance.now();
      const done: number[] = [];
      await Promise.all(
        storages.map((s) =>
          s.write([{ key, value: benchValue }]).then(() => done.push(performance.now() - start)),
        ),
      );
      done.forEach((ms, at) => nth[at]?.recordMs(ms));
    }
    return nth.map((r) => r.summary().p50);
  });
}

/**
 * A write is durable no sooner than one sync of this disk: `alone` is the least any write here
 * can take. `atOnce` is a write's three replicas syncing together on the one disk of a local
 * cluster, started in the same instant; the nodes' replicas start a little apart, which this
 * disk serves sooner, so it is a reference, not a bound.
 */
async function syncLatency(): Promise<SyncLatency> {
  const [alone] = await syncRounds(1);
  return { alone: alone ?? NaN, atOnce: await syncRounds(3) };
}

interface SyncLatency {
  alone: number;
  atOnce: number[];
}

interface Transport {
  coalesced: number;
  uncoalesced: number;
  /** p50 ms of one message to another process and its answer, one at a time. */
  roundTrip: number;
}

/** bench/transport.ts in its own processes: messages per second with and without coalescing, round trip. */
function transportLimit(): Promise<Transport> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...process.execArgv, join(ROOT, 'bench', 'transport.ts'), String(RUN_MS), '64'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const forget = onInterrupt(() => child.kill());
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      forget();
      const rate = (mode: string): number => {
        const m = new RegExp(`coalescing ${mode}\\s*:\\s*([\\d,]+) messages/s`).exec(out);
        return m ? Number((m[1] as string).replace(/,/g, '')) : NaN;
      };
      const roundTrip = /round trip, one exchange at a time: p50 ([\d.]+) ms/.exec(out);
      const result = {
        coalesced: rate('on'),
        uncoalesced: rate('off'),
        roundTrip: roundTrip ? Number(roundTrip[1]) : NaN,
      };
      if (code !== 0 || Number.isNaN(result.coalesced)) {
        reject(new Error(`bench/transport.ts failed (exit ${code}): ${out.slice(-500)}`));
      } else {
        resolve(result);
      }
    });
  });
}

// ---------------------------------------------------------------- runs

interface Runs {
  writeOne: BenchResult;
  writeMany: BenchResult;
  /** Write throughput at HIGH_CONCURRENCY in each round, whose median is writeMany's. */
  writeRounds: number[];
  readOne: BenchResult;
  readMany: BenchResult;
  openWrite: BenchResult;
}

function closed(concurrency: number): LoadMode {
  return { kind: 'closed', concurrency };
}

async function measure(
  label: string,
  target: BenchTarget,
  read: boolean,
  mode: LoadMode,
): Promise<BenchResult> {
  const result = await runLoad(target, {
    workload: read ? WORKLOADS.read : WORKLOADS.write,
    distribution: 'uniform',
    records: RECORDS,
    valueBytes: VALUE_BYTES,
    mode,
    stop: { kind: 'duration', ms: RUN_MS },
    seed: 42,
  });
  const l = result.latency;
  say(
    `  ${label.padEnd(34)} ${String(result.throughput).padStart(7)} ops/s  p50 ${l.p50.toFixed(3)}  p99 ${l.p99.toFixed(3)}  max ${l.max.toFixed(1)} ms${result.errors ? `  errors ${result.errors} (${result.firstError ?? ''})` : ''}`,
  );
  return result;
}

/** One system under test: a name for the table, a group for the steal report, and its load target. */
interface System {
  name: string;
  group: string;
  target: BenchTarget;
}

function median(results: BenchResult[]): BenchResult {
  const sorted = [...results].sort((a, b) => a.throughput - b.throughput);
  return sorted[Math.floor(sorted.length / 2)] as BenchResult;
}

/**
 * The same sequence for every system (warm up, closed loops at 1 and 64 in flight, an open loop at
 * half the max, reads), each step run for every system in turn before the next step. On a shared
 * machine the CPU it gets drifts over minutes; interleaved, every system meets the same drift, so
 * the ratios between them hold where one system after the other would compare a fast minute with
 * a slow one.
 */
async function runInterleaved(systems: System[], steal: StealLog): Promise<Map<string, Runs>> {
  const each = async <T>(step: (s: System, i: number) => Promise<T>): Promise<T[]> => {
    const out: T[] = [];
    for (const [i, s] of systems.entries()) out.push(await steal.measure(s.group, () => step(s, i)));
    return out;
  };
  // A request alone in flight is measured right after a load of the same kind on the same
  // system: after another system's turn its processes have slept and run colder.
  const warm = (s: System, read: boolean, ms: number) =>
    runLoad(s.target, {
      workload: read ? WORKLOADS.read : WORKLOADS.write,
      distribution: 'uniform',
      records: RECORDS,
      valueBytes: VALUE_BYTES,
      mode: closed(HIGH_CONCURRENCY),
      stop: { kind: 'duration', ms },
      seed: 7,
    });
  const writeOne = await each(async (s) => {
    await warm(s, false, WARMUP_MS);
    return measure(`${s.name} write, 1 in flight`, s.target, false, closed(1));
  });
  const rounds: BenchResult[][] = [];
  for (let round = 1; round <= THROUGHPUT_RUNS; round++) {
    const label = `write, ${HIGH_CONCURRENCY} in flight (${round}/${THROUGHPUT_RUNS})`;
    rounds.push(await each((s) => measure(`${s.name} ${label}`, s.target, false, closed(HIGH_CONCURRENCY))));
  }
  const writeMany = systems.map((_, i) => median(rounds.map((r) => r[i] as BenchResult)));
  const openWrite = await each((s, i) => {
    const rate = Math.max(1, Math.round((writeMany[i] as BenchResult).throughput / 2));
    return measure(`${s.name} write, open loop ${rate}/s`, s.target, false, {
      kind: 'open',
      rateOpsPerSecond: rate,
      maxInFlight: OPEN_LOOP_MAX_IN_FLIGHT,
    });
  });
  const readOne = await each(async (s) => {
    await warm(s, true, WARMUP_MS / 2);
    return measure(`${s.name} read, 1 in flight`, s.target, true, closed(1));
  });
  const readMany = await each((s) =>
    measure(`${s.name} read, ${HIGH_CONCURRENCY} in flight`, s.target, true, closed(HIGH_CONCURRENCY)),
  );
  return new Map(
    systems.map((s, i) => [
      s.name,
      {
        writeOne: writeOne[i] as BenchResult,
        writeMany: writeMany[i] as BenchResult,
        writeRounds: rounds.map((r) => (r[i] as BenchResult).throughput),
        openWrite: openWrite[i] as BenchResult,
        readOne: readOne[i] as BenchResult,
        readMany: readMany[i] as BenchResult,
      },
    ]),
  );
}

/** A 3-node ringkv cluster with its records loaded, as one system per CL and way of coordinating. */
async function startRingkv(): Promise<{ systems: System[]; stop: () => Promise<void> }> {
  const cluster = new LocalCluster({ rootPrefix: 'ringkv-bench-', args: ['--ring-delay', '500'] });
  const clients: RingkvClient[] = [];
  const forget = onInterrupt(() => cluster.stopAll());
  const stop = async () => {
    for (const client of clients) await client.close();
    await cluster.stopAll();
    forget();
  };
  try {
    say('starting a 3-node ringkv cluster (RF 3, synced writes)...');
    await cluster.start(3);
    // Every node, not only the client's contact, must see the others: the load phase writes at ALL.
    await cluster.settled(60_000);
    const systems: System[] = [];
    for (const coordination of COORDINATIONS) {
      const client = await RingkvClient.connect({
        contactPoints: cluster.addresses(),
        timeoutMs: 5000,
        route: 'token',
        coordination,
        speculativeRetry: { kind: 'percentile', p: 99 },
      });
      clients.push(client);
      for (const cl of CLS) {
        systems.push({
          name: ringkvName(cl, coordination),
          group: `ringkv, ${coordination} coordinates`,
          target: ringkvTarget(client, 'default', cl),
        });
      }
    }
    const load = await loadRecords(ringkvTarget(clients[0] as RingkvClient, 'default', 'ALL'), {
      records: RECORDS,
      valueBytes: VALUE_BYTES,
      concurrency: HIGH_CONCURRENCY,
      seed: 1,
    });
    say(`  loaded ${load.loaded} records at ALL`);
    return { systems, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

function ringkvName(cl: ConsistencyLevel, coordination: Coordination): string {
  return coordination === 'node' ? `ringkv ${cl}` : `ringkv ${cl}, client coordinates`;
}

/** A 3-member etcd cluster with the same records loaded. */
async function startEtcdSystem(): Promise<{ system: System; stop: () => Promise<void> }> {
  const binary = ensureEtcd(say);
  say('starting a 3-member etcd cluster...');
  const etcd = await startEtcd(binary);
  const forget = onInterrupt(() => etcd.stop());
  let close = () => {};
  const stop = async () => {
    close();
    await etcd.stop();
    forget();
  };
  try {
    const connected = await etcdTarget(etcd.clientUrls);
    close = connected.close;
    const load = await loadRecords(connected.target, {
      records: RECORDS,
      valueBytes: VALUE_BYTES,
      concurrency: HIGH_CONCURRENCY,
      seed: 1,
    });
    say(`  loaded ${load.loaded} records`);
    return { system: { name: `etcd (${etcd.version})`, group: 'etcd', target: connected.target }, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

// ---------------------------------------------------------------- report

interface Ratio {
  what: string;
  target: string;
  /** The measured value for one way of coordinating, whether it meets the target, and its numbers. */
  measure(runs: RunsByCl, coordination: Coordination): { value: number; met: boolean; detail: string };
}

/**
 * Round trips between processes on a request's path at one in flight: the client's to its
 * coordinator and the coordinator's to the replicas, or only the client's to the replicas.
 */
function roundTripsOnPath(coordination: Coordination): number {
  return coordination === 'node' ? 2 : 1;
}

function fmt(n: number, digits = 2): string {
  return Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
}

function table(headers: string[], rows: string[][]): string {
  return [
    `| ${headers.join(' | ')} |`,
    `| ${headers.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

function ratios(
  transport: Transport,
  sync: SyncLatency,
  etcd: { name: string; runs: Runs } | undefined,
): Ratio[] {
  // The least this host's loopback and disk take on the path, leaving no time for the nodes' work.
  const bound = (coordination: Coordination, syncMs: number): string => {
    const trips = roundTripsOnPath(coordination);
    return `bound here ${fmt(trips * transport.roundTrip + syncMs, 3)} ms: ${trips} round trip${trips > 1 ? 's' : ''}${syncMs > 0 ? ' + a sync alone' : ''}`;
  };
  const get = (runs: RunsByCl, cl: ConsistencyLevel) => runs.get(cl) as Runs;
  return [
    {
      what: `QUORUM write throughput / etcd's (${HIGH_CONCURRENCY} in flight)`,
      target: '≥ 4 (stretch 8)',
      measure: (runs) => {
        const quorum = get(runs, 'QUORUM');
        const q = quorum.writeMany.throughput;
        const e = etcd?.runs.writeMany.throughput;
        // The systems ran side by side in each round, so each round's ratio is a paired measure:
        // shown beside the ratio of the medians, which a round unusually fast for one system moves.
        const rounds = etcd
          ? `; by round ${quorum.writeRounds.map((r, i) => fmt(r / (etcd.runs.writeRounds[i] ?? NaN))).join(', ')}`
          : '';
        return {
          value: e ? q / e : NaN,
          met: e !== undefined && q >= 4 * e,
          detail: `${q} / ${e ?? 'skipped'} ops/s${rounds}`,
        };
      },
    },
    {
      what: 'QUORUM write throughput / coalesced transport limit',
      target: '≥ 0.25',
      measure: (runs) => {
        const q = get(runs, 'QUORUM').writeMany.throughput;
        return {
          value: q / transport.coalesced,
          met: q >= 0.25 * transport.coalesced,
          detail: `${q} ops/s / ${transport.coalesced} msg/s`,
        };
      },
    },
    {
      what: 'QUORUM write p50, 1 in flight (ms)',
      target: '≤ 0.5',
      measure: (runs, co) => {
        const l = get(runs, 'QUORUM').writeOne.latency;
        return {
          value: l.p50,
          met: l.p50 <= 0.5,
          detail: `p99 ${fmt(l.p99, 3)} ms; ${bound(co, sync.alone)}`,
        };
      },
    },
    {
      what: 'QUORUM read p50, 1 in flight (ms)',
      target: '≤ 0.3',
      measure: (runs, co) => {
        const l = get(runs, 'QUORUM').readOne.latency;
        return { value: l.p50, met: l.p50 <= 0.3, detail: `p99 ${fmt(l.p99, 3)} ms; ${bound(co, 0)}` };
      },
    },
    {
      what: 'QUORUM write p99, open loop at half the max (ms)',
      target: '≤ 10',
      measure: (runs) => {
        const r = get(runs, 'QUORUM').openWrite;
        return {
          value: r.latency.p99,
          met: r.latency.p99 <= 10,
          detail: `${r.targetRate} ops/s, p50 ${fmt(r.latency.p50, 3)}, max ${fmt(r.latency.max, 1)} ms; from each actual start: p50 ${fmt(r.serviceLatency?.p50 ?? NaN, 3)}, p99 ${fmt(r.serviceLatency?.p99 ?? NaN, 3)} ms`,
        };
      },
    },
    {
      what: 'ALL / QUORUM write throughput',
      target: '≥ 0.8',
      measure: (runs) => {
        const a = get(runs, 'ALL').writeMany.throughput;
        const q = get(runs, 'QUORUM').writeMany.throughput;
        return { value: a / q, met: a >= 0.8 * q, detail: `${a} / ${q} ops/s` };
      },
    },
    {
      what: 'QUORUM / ONE write throughput',
      target: '≥ 0.8',
      measure: (runs) => {
        const q = get(runs, 'QUORUM').writeMany.throughput;
        const o = get(runs, 'ONE').writeMany.throughput;
        return { value: q / o, met: q >= 0.8 * o, detail: `${q} / ${o} ops/s` };
      },
    },
  ];
}

function report(
  machine: string,
  storage: { opsPerSecond: number; writesPerSync: number },
  sync: SyncLatency,
  transport: Transport,
  ringkv: Map<Coordination, RunsByCl>,
  etcd: { name: string; runs: Runs } | undefined,
  seconds: number,
  steal: string | undefined,
): string {
  const ms = (r: BenchResult) => `${fmt(r.latency.p50, 3)} / ${fmt(r.latency.p99, 3)}`;
  const systems: [string, Runs][] = [
    ...COORDINATIONS.flatMap((co) =>
      CLS.map((cl): [string, Runs] => [ringkvName(cl, co), ringkv.get(co)?.get(cl) as Runs]),
    ),
    ...(etcd ? [[etcd.name, etcd.runs] as [string, Runs]] : []),
  ];
  const runsTable = table(
    [
      'system',
      `write ops/s @${HIGH_CONCURRENCY}`,
      'write p50/p99 ms @1',
      `write p50/p99 ms @${HIGH_CONCURRENCY}`,
      'open loop write ops/s: p50/p99 ms',
      `read ops/s @${HIGH_CONCURRENCY}`,
      'read p50/p99 ms @1',
    ],
    systems.map(([name, r]) => [
      name,
      String(r.writeMany.throughput),
      ms(r.writeOne),
      ms(r.writeMany),
      `${r.openWrite.targetRate}: ${ms(r.openWrite)}`,
      String(r.readMany.throughput),
      ms(r.readOne),
    ]),
  );
  const ratioTable = table(
    ['ratio', 'target', ...COORDINATIONS.map((co) => `${co} coordinates: value, met (numbers)`)],
    ratios(transport, sync, etcd).map((r) => [
      r.what,
      r.target,
      ...COORDINATIONS.map((co) => {
        const m = r.measure(ringkv.get(co) as RunsByCl, co);
        return `${fmt(m.value, 3)}, ${m.met ? 'yes' : 'no'} (${m.detail})`;
      }),
    ]),
  );
  const errors = systems
    .flatMap(([name, r]) => Object.values(r).map((x: BenchResult) => [name, x] as const))
    .filter(([, x]) => x.errors > 0)
    .map(([name, x]) => `- ${name} ${x.workload} ${x.mode}: ${x.errors} errors (${x.firstError ?? ''})`);
  return [
    `# ringkv benchmark`,
    ``,
    `Machine: ${machine}. Run of ${new Date().toISOString().slice(0, 19)}Z, ${Math.round(seconds)} s in all.`,
    `Each run ${RUN_MS / 1000} s, ${RECORDS} records of ${VALUE_BYTES} bytes, uniform keys; write throughput at ${HIGH_CONCURRENCY} in flight`,
    `is the median of ${THROUGHPUT_RUNS} runs (the open loop runs at half of it); the systems take turns, each step`,
    `for all of them before the next, so that the machine's drift falls on all; latency from an HDR histogram,`,
    `open loop measured from each operation's intended start. ringkv: 3 nodes, RF 3, every write synced to disk`,
    `before its ack, token-aware routing; "client coordinates" is \`--coordination client\`: the client sends`,
    `to the replicas itself, one hop fewer. etcd: 3 members, default (synced) settings. Load generator: one Node process.`,
    ...(steal ? [steal] : []),
    ``,
    `Limits: storage ${storage.opsPerSecond} synced writes/s in one process (${fmt(storage.writesPerSync, 1)} writes per sync);`,
    `transport ${transport.coalesced} messages/s coalesced, ${transport.uncoalesced} without coalescing.`,
    `Latencies (p50): one synced write alone ${fmt(sync.alone, 3)} ms; one to each of three LevelDBs on this disk at once,`,
    `durable on the first after ${sync.atOnce.map((ms) => fmt(ms, 3)).join(', the next ')} ms; a message to another process and`,
    `its answer, one at a time, ${fmt(transport.roundTrip, 3)} ms. A write at one in flight takes at least a sync and its round trips.`,
    ``,
    runsTable,
    ``,
    ratioTable,
    ...(errors.length ? ['', 'Errors:', ...errors] : []),
    ``,
  ].join('\n');
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const started = performance.now();
  const cpu = cpus();
  const machine = `${cpu[0]?.model.trim() ?? 'unknown cpu'}, ${cpu.length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, ${process.platform}`;
  say(machine);
  ensureBuilt();
  stopOnSignals(say);
  const steal = new StealLog();
  say('storage limit...');
  const storage = await steal.measure('storage limit', storageLimit);
  say(`  ${storage.opsPerSecond} synced writes/s`);
  say('sync latency (alone, then three LevelDBs at once)...');
  const sync = await steal.measure('sync latency', syncLatency);
  say(`  ${fmt(sync.alone, 3)} ms alone; ${sync.atOnce.map((ms) => fmt(ms, 3)).join(', ')} ms at once (p50)`);
  say('transport limit (3 processes)...');
  const transport = await steal.measure('transport limit', transportLimit);
  say(
    `  ${transport.coalesced} msg/s coalesced, ${transport.uncoalesced} msg/s without; round trip ${fmt(transport.roundTrip, 3)} ms`,
  );
  const ringkvCluster = await startRingkv();
  let results: Map<string, Runs>;
  let etcdName: string | undefined;
  try {
    // Both clusters are up for the whole run (idle ones gossip and heartbeat, a little CPU), so
    // that their runs can take turns.
    const etcdCluster = skipEtcd ? undefined : await startEtcdSystem();
    etcdName = etcdCluster?.system.name;
    try {
      const systems = [...ringkvCluster.systems, ...(etcdCluster ? [etcdCluster.system] : [])];
      say(`measuring ${systems.length} systems, each step for every system in turn...`);
      results = await runInterleaved(systems, steal);
    } finally {
      await etcdCluster?.stop();
    }
  } finally {
    await ringkvCluster.stop();
  }
  const ringkv = new Map(
    COORDINATIONS.map((co): [Coordination, RunsByCl] => [
      co,
      new Map(CLS.map((cl) => [cl, results.get(ringkvName(cl, co)) as Runs])),
    ]),
  );
  const etcd = etcdName === undefined ? undefined : { name: etcdName, runs: results.get(etcdName) as Runs };
  const seconds = (performance.now() - started) / 1000;
  const text = report(machine, storage, sync, transport, ringkv, etcd, seconds, steal.summary());
  writeFileSync(join(ROOT, 'bench', 'results.md'), text);
  process.stdout.write(text);
  say('written to bench/results.md');
}

await main();
