import { asRingkvError } from '../protocol/errors.js';
import { LatencyRecorder } from '../protocol/latency-recorder.js';
import type { OpResult } from '../protocol/ops/index.js';
import type { Clock } from './world.js';

/** Requests of one kind this node coordinated: how many, how they failed, and how long they took. */
export class CoordinatedRequests {
  requests = 0;
  /** Failed requests by error code (UNAVAILABLE, WRITE_TIMEOUT, ...). */
  readonly failed: Record<string, number> = {};
  readonly latency = new LatencyRecorder();

  summary(): OpResult<'stats'>['coordinator']['writes'] {
    const { p50, p90, p99, max } = this.latency.summary();
    return { requests: this.requests, failed: { ...this.failed }, latency: { p50, p90, p99, max } };
  }
}

/**
 * What a node has done since it started, as Cassandra's nodetool shows it in proxyhistograms
 * (the requests it coordinated, with their latency), tpstats and info (its replica work; the hint
 * store, hint replay and storage count their own). Counters only: a request costs an increment
 * and one histogram entry.
 */
export class NodeStats {
  readonly startedMs: number;
  readonly writes = new CoordinatedRequests();
  readonly reads = new CoordinatedRequests();
  /** Replicas a coordinated read wrote the winning cell back to. */
  readRepairs = 0;
  /** Cells this node was sent as a replica (from coordinators, hint replay, streaming, repair). */
  replicaWrites = 0;
  replicaReads = 0;

  constructor(private readonly clock: Pick<Clock, 'monotonicMs'>) {
    this.startedMs = clock.monotonicMs();
  }

  /** Counts a request this node coordinates once it settles; hands back the same promise. */
  coordinated<T>(kind: CoordinatedRequests, answer: Promise<T>, onAnswer?: (result: T) => void): Promise<T> {
    const started = this.clock.monotonicMs();
    kind.requests++;
    answer.then(
      (result) => {
        kind.latency.recordMs(this.clock.monotonicMs() - started);
        onAnswer?.(result);
      },
      (e: unknown) => {
        // The caller gets the rejection from `answer` itself; this branch only counts it.
        const code = asRingkvError(e).code;
        kind.failed[code] = (kind.failed[code] ?? 0) + 1;
      },
    );
    return answer;
  }

  uptimeMs(): number {
    return Math.round(this.clock.monotonicMs() - this.startedMs);
  }
}
