import { performance } from 'node:perf_hooks';
import { ERROR_CODES, isRingkvError, RingkvError, type ErrorCode } from '../protocol/errors.js';
import { LatencyRecorder, type LatencySummary } from '../protocol/latency-recorder.js';
import { seededUniform } from './random.js';
import { OpenLoopSchedule } from './schedule.js';
import {
  keyChooser,
  OperationMix,
  recordKey,
  type Distribution,
  type OperationKind,
  type WorkloadSpec,
} from './workload.js';

/** What the load generator drives: ringkv through its client, or another store for comparison. */
export interface BenchTarget {
  write(key: string, value: Uint8Array): Promise<unknown>;
  read(key: string): Promise<unknown>;
}

export type LoadMode =
  /** N operations in flight at all times: each worker starts the next when its last one ends. */
  | { kind: 'closed'; concurrency: number }
  /** Operations start on a fixed schedule whatever the latency; at most maxInFlight at once. */
  | { kind: 'open'; rateOpsPerSecond: number; maxInFlight: number };

export type StopAfter = { kind: 'duration'; ms: number } | { kind: 'ops'; count: number };

export interface LoadOptions {
  workload: WorkloadSpec;
  distribution: Distribution;
  records: number;
  valueBytes: number;
  mode: LoadMode;
  stop: StopAfter;
  /** Seeds key and operation choices, so two runs ask for the same keys. */
  seed: number;
  /**
   * Runs the same load this long first and measures none of it: a fresh client, and the nodes'
   * paths for its connections, compile their hot code during the first operations.
   */
  warmupMs?: number;
  /** Monotonic milliseconds; performance.now by default. */
  now?: () => number;
}

export interface BenchResult {
  workload: string;
  distribution: Distribution;
  mode: 'closed' | 'open';
  concurrency?: number;
  targetRate?: number;
  /** Successful operations per second. */
  throughput: number;
  /** Milliseconds; for an open loop measured from each operation's intended start. */
  latency: LatencySummary;
  /**
   * Open loop only: milliseconds from each operation's actual start, what the system took to
   * answer (YCSB's latency beside its "intended" one). Where it is well below `latency`,
   * operations started late: the load generator's timers and its own busy event loop, not the
   * system, made them wait.
   */
  serviceLatency?: LatencySummary;
  ops: number;
  reads: number;
  writes: number;
  errors: number;
  errorCodes: Record<string, number>;
  firstError?: string;
  durationSec: number;
  /** How long the unmeasured warm-up ran first, when there was one. */
  warmupSec?: number;
}

/**
 * The load is bounded in time or count either way. An open loop waits at most this long for
 * the stragglers after its last scheduled operation, then reports them as errors.
 */
const OPEN_LOOP_DRAIN_MS = 30_000;

export function valueOfSize(bytes: number, seed: number): Uint8Array {
  const uniform = seededUniform(seed ^ 0x5bd1e995);
  const value = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) value[i] = 0x61 + Math.floor(uniform() * 26);
  return value;
}

/**
 * Failures no retry can turn into a success: the request itself is refused (a value past the
 * nodes' limit, a keyspace that does not exist) or the client may not make it. Every later
 * operation would fail the same, so a run stops at the first instead of measuring failures.
 */
const HOPELESS_CODES: ReadonlySet<ErrorCode> = new Set(['INVALID_REQUEST', 'UNAUTHORIZED', 'USAGE']);

function isHopeless(e: unknown): e is RingkvError {
  return isRingkvError(e) && HOPELESS_CODES.has(e.code);
}

/** What a run that stopped at a hopeless failure reports: that failure, said to be why it stopped. */
function stoppedBy(e: RingkvError): RingkvError {
  return new RingkvError(e.code, `stopped at the first failure no retry can fix: ${e.message}`, e.details);
}

class Tally {
  readonly latency = new LatencyRecorder();
  /** Open loop only: a closed loop starts each operation when it means to, so it would repeat `latency`. */
  readonly service: LatencyRecorder | undefined;
  reads = 0;
  writes = 0;
  errors = 0;
  readonly errorCodes: Record<string, number> = {};
  firstError: string | undefined;
  /** The first failure no retry can fix; the run stops once there is one. */
  hopeless: RingkvError | undefined;

  constructor(open: boolean) {
    this.service = open ? new LatencyRecorder() : undefined;
  }

  /** ms: from the intended start; serviceMs: from the actual start. */
  ok(kind: OperationKind, ms: number, serviceMs: number): void {
    this.latency.recordMs(ms);
    this.service?.recordMs(serviceMs);
    if (kind === 'read') this.reads++;
    else this.writes++;
  }

  failed(e: unknown): void {
    this.errors++;
    const code = isRingkvError(e) ? e.code : 'ERROR';
    this.errorCodes[code] = (this.errorCodes[code] ?? 0) + 1;
    this.firstError ??= e instanceof Error ? e.message : String(e);
    if (isHopeless(e)) this.hopeless ??= e;
  }
}

/** Runs one measured load against target and summarises it; throws at the first failure no retry can fix. */
export async function runLoad(target: BenchTarget, options: LoadOptions): Promise<BenchResult> {
  const now = options.now ?? (() => performance.now());
  const uniform = seededUniform(options.seed);
  const keys = keyChooser(options.distribution, options.records, uniform);
  const mix = new OperationMix(options.workload.readFraction, uniform);
  const value = valueOfSize(options.valueBytes, options.seed);
  const mode = options.mode;

  /** The load until `stop`, counted in `tally`; its start and end. */
  const drive = async (tally: Tally, stop: StopAfter): Promise<{ start: number; end: number }> => {
    const start = now();
    const issue = (intendedStartMs: number, startedMs: number): Promise<void> => {
      const kind = mix.next();
      const key = recordKey(keys.next());
      const op = kind === 'read' ? target.read(key) : target.write(key, value);
      return op.then(
        () => {
          const endMs = now();
          tally.ok(kind, endMs - intendedStartMs, endMs - startedMs);
        },
        (e: unknown) => tally.failed(e),
      );
    };
    const stopped = () => tally.hopeless !== undefined;
    const end =
      mode.kind === 'closed'
        ? await closedLoop(mode.concurrency, stop, now, issue, stopped)
        : await openLoop(mode, stop, start, now, issue, stopped, (n) => {
            for (let i = 0; i < n; i++)
              tally.failed(new Error(`no answer within ${OPEN_LOOP_DRAIN_MS} ms of the end`));
          });
    if (tally.hopeless) throw stoppedBy(tally.hopeless);
    return { start, end };
  };

  const warmupMs = options.warmupMs ?? 0;
  if (warmupMs > 0) await drive(new Tally(mode.kind === 'open'), { kind: 'duration', ms: warmupMs });
  const tally = new Tally(mode.kind === 'open');
  const { start, end } = await drive(tally, options.stop);
  const durationSec = Math.max(1e-6, (end - start) / 1000);
  const ops = tally.reads + tally.writes;
  return {
    workload: options.workload.name,
    distribution: options.distribution,
    mode: mode.kind,
    ...(mode.kind === 'closed' ? { concurrency: mode.concurrency } : { targetRate: mode.rateOpsPerSecond }),
    throughput: Math.round(ops / durationSec),
    latency: tally.latency.summary(),
    ...(tally.service ? { serviceLatency: tally.service.summary() } : {}),
    ops,
    reads: tally.reads,
    writes: tally.writes,
    errors: tally.errors,
    errorCodes: tally.errorCodes,
    ...(tally.firstError !== undefined ? { firstError: tally.firstError } : {}),
    durationSec: Math.round(durationSec * 1000) / 1000,
    ...(warmupMs > 0 ? { warmupSec: warmupMs / 1000 } : {}),
  };
}

/**
 * A run in which not one operation succeeded measured nothing: it fails, with the code most of its
 * operations failed with, so that a script that loads a cluster with `bench` sees it in the exit
 * code. A run with some errors still succeeds and reports them.
 */
export function everyOperationFailed(result: BenchResult): RingkvError | undefined {
  if (result.ops > 0 || result.errors === 0) return undefined;
  const byCount = Object.entries(result.errorCodes).sort((a, b) => b[1] - a[1]);
  const top = byCount[0]?.[0] ?? '';
  const code: ErrorCode = (ERROR_CODES as readonly string[]).includes(top)
    ? (top as ErrorCode)
    : 'SERVER_ERROR';
  const counts = byCount.map(([c, n]) => `${c} ${n}`).join(', ');
  return new RingkvError(
    code,
    `every operation failed in ${result.durationSec} s (${counts})${result.firstError ? `; first: ${result.firstError}` : ''}`,
    { errors: result.errors, errorCodes: result.errorCodes },
  );
}

async function closedLoop(
  concurrency: number,
  stop: StopAfter,
  now: () => number,
  issue: (intendedStartMs: number, startedMs: number) => Promise<void>,
  stopped: () => boolean,
): Promise<number> {
  if (!Number.isSafeInteger(concurrency) || concurrency < 1)
    throw new RangeError(`concurrency must be at least 1`);
  const deadline = stop.kind === 'duration' ? now() + stop.ms : Infinity;
  let remaining = stop.kind === 'ops' ? stop.count : Infinity;
  const worker = async () => {
    while (!stopped() && remaining > 0 && now() < deadline) {
      remaining--;
      const t = now();
      await issue(t, t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return now();
}

function openLoop(
  mode: { rateOpsPerSecond: number; maxInFlight: number },
  stop: StopAfter,
  start: number,
  now: () => number,
  issue: (intendedStartMs: number, startedMs: number) => Promise<void>,
  stopped: () => boolean,
  abandon: (count: number) => void,
): Promise<number> {
  const schedule = new OpenLoopSchedule(start, mode.rateOpsPerSecond);
  // Operations due before the end of the run; the rest are never started.
  const total =
    stop.kind === 'ops' ? stop.count : Math.max(1, Math.floor((stop.ms * mode.rateOpsPerSecond) / 1000));
  return new Promise<number>((resolve) => {
    let issued = 0;
    let inFlight = 0;
    let timer: NodeJS.Timeout | undefined;
    let drainTimer: NodeJS.Timeout | undefined;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      if (timer) clearTimeout(timer);
      if (drainTimer) clearTimeout(drainTimer);
      abandon(inFlight);
      resolve(now());
    };
    const completed = () => {
      inFlight--;
      if (issued === total && inFlight === 0) finish();
      else pump();
    };
    const pump = () => {
      if (finished) return;
      if (stopped()) {
        finish();
        return;
      }
      const t = now();
      const due = Math.min(total, schedule.dueBy(t));
      while (issued < due && inFlight < mode.maxInFlight) {
        const intended = schedule.intendedStartMs(issued++);
        inFlight++;
        void issue(intended, t).then(completed);
      }
      if (issued < total) {
        if (timer === undefined && inFlight < mode.maxInFlight) {
          // Timers fire no sooner than 1 ms; a late start counts as latency, which is honest.
          const wait = Math.max(0, schedule.intendedStartMs(issued) - now());
          timer = setTimeout(() => {
            timer = undefined;
            pump();
          }, wait);
        }
      } else if (drainTimer === undefined && inFlight > 0) {
        drainTimer = setTimeout(finish, OPEN_LOOP_DRAIN_MS);
      }
    };
    pump();
  });
}

/**
 * The load phase: writes every record once, so that reads find what they ask for. It stops, as a
 * run does, at the first failure no retry can fix.
 */
export async function loadRecords(
  target: BenchTarget,
  options: { records: number; valueBytes: number; concurrency: number; seed: number },
): Promise<{ loaded: number; errors: number; firstError?: string }> {
  const value = valueOfSize(options.valueBytes, options.seed);
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  let hopeless: RingkvError | undefined;
  const worker = async () => {
    for (let i = next++; i < options.records && !hopeless; i = next++) {
      try {
        await target.write(recordKey(i), value);
      } catch (e) {
        errors++;
        firstError ??= e instanceof Error ? e.message : String(e);
        if (isHopeless(e)) hopeless ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  if (hopeless) throw stoppedBy(hopeless);
  return { loaded: options.records - errors, errors, ...(firstError !== undefined ? { firstError } : {}) };
}
