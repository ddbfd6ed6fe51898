import { Flags } from '@oclif/core';
import { BaseCommand, clusterFlags, usage } from '../cli/base-command.js';
import { withClient } from '../cli/client-options.js';
import { parseRunLengthMs } from '../cli/duration.js';
import { parseConsistency } from '../protocol/consistency.js';
import { MAX_VALUE_BYTES_CEILING } from '../protocol/limits.js';
import { clFlag, keyspaceFlag } from '../cli/data-flags.js';
import { renderResult } from '../bench/format.js';
import { ringkvTarget } from '../bench/ringkv-target.js';
import {
  everyOperationFailed,
  loadRecords,
  runLoad,
  type BenchResult,
  type LoadMode,
  type StopAfter,
} from '../bench/runner.js';
import { parseWorkload, type Distribution } from '../bench/workload.js';

/** An open loop keeps at most this many operations in flight, so a stalled cluster cannot exhaust memory. */
const OPEN_LOOP_MAX_IN_FLIGHT = 10_000;
/** An operation every microsecond: more than one client process can start, so a higher rate only queues. */
const MAX_RATE_OPS_PER_SECOND = 1_000_000;

/**
 * An integer flag's parser that refuses, as a usage error giving the whole range, a value outside
 * [min, max]: past its bounds a count fails deep in the run (an array that cannot be that long).
 */
function integerIn(min: number, max: number): (input: string) => Promise<number> {
  return (input) => {
    const n = Number(input.trim());
    if (/^-?\d+$/.test(input.trim()) && n >= min && n <= max) return Promise.resolve(n);
    return Promise.reject(usage(`"${input}" is not an integer from ${min} to ${max}`));
  };
}

export interface BenchOutput extends BenchResult {
  cl: string;
  keyspace: string;
  records: number;
  valueBytes: number;
  loaded?: number;
}

export default class Bench extends BaseCommand {
  static override summary = 'Measure throughput and latency with a YCSB-style load';
  static override description =
    'Closed loop (--concurrency) keeps N operations in flight; open loop (--rate) starts operations on a fixed schedule and measures each from its intended start, so queueing is not hidden; its service line measures from each actual start, and the gap between the two is how late operations started. Read workloads first write every record once. A run in which not one operation succeeded fails (exit 1) with the error most of them failed with; an operation refused as invalid or unauthorized stops the run at once, and it fails with that error.';
  static override examples = [
    '<%= config.bin %> bench --workload write --cl quorum --concurrency 64 --duration 10',
    '<%= config.bin %> bench --workload A --distribution zipfian --rate 2000 --ops 20000 --json',
  ];
  static override flags = {
    ...clusterFlags,
    workload: Flags.string({
      description: 'write, read, A (50% reads), B (95% reads) or C (reads only)',
      // Pure writes exercise the replicated, synced write path, the one most worth measuring.
      default: 'write',
    }),
    distribution: Flags.string({
      description: 'how keys are picked: uniform, or zipfian (0.99, scrambled as in YCSB)',
      options: ['uniform', 'zipfian'],
      // YCSB's default: a few hot keys, as real traffic has.
      default: 'zipfian',
    }),
    records: Flags.integer({
      description: 'number of distinct keys',
      // Enough keys to spread over every vnode; small enough to load in seconds.
      default: 10_000,
      // Record numbers are exact up to here.
      parse: integerIn(1, Number.MAX_SAFE_INTEGER),
    }),
    'value-bytes': Flags.integer({
      description: `size of each written value, 0 to ${MAX_VALUE_BYTES_CEILING}`,
      // YCSB's field length.
      default: 100,
      // The most a node can be started to accept.
      parse: integerIn(0, MAX_VALUE_BYTES_CEILING),
    }),
    cl: clFlag,
    keyspace: keyspaceFlag,
    concurrency: Flags.integer({
      description: `closed loop: operations in flight, 1 to ${OPEN_LOOP_MAX_IN_FLIGHT}`,
      // Enough to keep group commit busy on a small cluster.
      default: 16,
      // Each is a worker in this process: as many as an open loop keeps in flight.
      parse: integerIn(1, OPEN_LOOP_MAX_IN_FLIGHT),
      exclusive: ['rate'],
    }),
    rate: Flags.integer({
      description: `open loop: operations started per second, whatever the latency, 1 to ${MAX_RATE_OPS_PER_SECOND}`,
      parse: integerIn(1, MAX_RATE_OPS_PER_SECOND),
      exclusive: ['concurrency'],
    }),
    duration: Flags.string({
      description: 'how long to run: seconds, or with a unit (500ms, 30s, 2m)',
      // Long enough for percentiles to settle.
      default: '10',
      exclusive: ['ops'],
    }),
    ops: Flags.integer({
      description: 'operations to run instead of a duration',
      // Counted exactly up to here.
      parse: integerIn(1, Number.MAX_SAFE_INTEGER),
      exclusive: ['duration'],
    }),
    warmup: Flags.string({
      description:
        'run the load this long first and measure none of it: seconds, or with a unit (0 for none)',
      // As YCSB: every operation counts unless asked otherwise; the load phase warms most runs.
      default: '0',
    }),
    'skip-load': Flags.boolean({
      description: 'do not write the records first (they are already there)',
      default: false,
    }),
    seed: Flags.integer({ description: 'seed for key and operation choices', default: 1 }),
  };

  async run(): Promise<BenchOutput> {
    const { flags } = await this.parse(Bench);
    const workload = parseWorkload(flags.workload);
    const cl = parseConsistency(flags.cl);
    const durationMs = parseRunLengthMs(flags.duration, '--duration');
    const warmupMs = parseRunLengthMs(flags.warmup, '--warmup', true);
    const mode: LoadMode =
      flags.rate !== undefined
        ? { kind: 'open', rateOpsPerSecond: flags.rate, maxInFlight: OPEN_LOOP_MAX_IN_FLIGHT }
        : { kind: 'closed', concurrency: flags.concurrency };
    const stop: StopAfter =
      flags.ops !== undefined ? { kind: 'ops', count: flags.ops } : { kind: 'duration', ms: durationMs };

    const output = await withClient(flags, async (client) => {
      const target = ringkvTarget(client, flags.keyspace, cl);
      let loaded: number | undefined;
      if (workload.needsLoad && !flags['skip-load']) {
        this.note(`loading ${flags.records} records of ${flags['value-bytes']} bytes at ${cl}...`);
        const load = await loadRecords(target, {
          records: flags.records,
          valueBytes: flags['value-bytes'],
          concurrency: Math.max(16, mode.kind === 'closed' ? mode.concurrency : 64),
          seed: flags.seed,
        });
        if (load.errors > 0) this.note(`${load.errors} records failed to load: ${load.firstError ?? ''}`);
        loaded = load.loaded;
      }
      const result = await runLoad(target, {
        workload,
        distribution: flags.distribution as Distribution,
        records: flags.records,
        valueBytes: flags['value-bytes'],
        mode,
        stop,
        seed: flags.seed,
        warmupMs,
      });
      return {
        ...result,
        cl,
        keyspace: flags.keyspace,
        records: flags.records,
        valueBytes: flags['value-bytes'],
        ...(loaded !== undefined ? { loaded } : {}),
      };
    });
    const failed = everyOperationFailed(output);
    if (failed) throw failed;
    this.say(renderResult(output));
    return output;
  }
}
