import { asRingkvError } from '../protocol/errors.js';
import { LatencyRecorder, type LatencySummary } from '../protocol/latency-recorder.js';
import type { OpResult } from '../protocol/ops/index.js';
import type { Clock } from './world.js';

/** Latency percentiles are of the last one to two of these, so that they say how a node does now. */
export const LATENCY_WINDOW_MS = 60_000;

/**
 * Latencies of the current window and the one before it. Since-start percentiles would hide a
 * node that became slow an hour into a week; Cassandra's proxyhistograms decay for that reason.
 */
export class RecentLatency {
  private current = new LatencyRecorder();
  private previous = new LatencyRecorder();
  private windowStartedMs: number;

  constructor(private readonly clock: Pick<Clock, 'monotonicMs'>) {
    this.windowStartedMs = clock.monotonicMs();
  }

  recordMs(ms: number): void {
    this.rotate();
    this.current.recordMs(ms);
  }

  summary(): LatencySummary {
    this.rotate();
    const both = new LatencyRecorder();
    both.add(this.previous);
    both.add(this.current);
    return both.summary();
  }

  private rotate(): void {
    const elapsed = this.clock.monotonicMs() - this.windowStartedMs;
    if (elapsed < LATENCY_WINDOW_MS) return;
    // After a whole idle window the one before it is too old to show as well.
    this.previous = elapsed < 2 * LATENCY_WINDOW_MS ? this.current : new LatencyRecorder();
    this.current = new LatencyRecorder();
    this.windowStartedMs += Math.floor(elapsed / LATENCY_WINDOW_MS) * LATENCY_WINDOW_MS;
  }
}

/** Requests of one kind this node coordinated: how many, how they failed, and how long they took. */
export class CoordinatedRequests {
  requests = 0;
  /** Failed requests by error code (UNAVAILABLE, WRITE_TIMEOUT, ...). */
  readonly failed: Record<string, number> = {};
  readonly latency: RecentLatency;

  constructor(clock: Pick<Clock, 'monotonicMs'>) {
    this.latency = new RecentLatency(clock);
  }

  summary(): OpResult<'stats'>['coordinator']['writes'] {
    const { p50, p90, p99, max } = this.latency.summary();
    return { requests: this.requests, failed: { ...this.failed }, latency: { p50, p90, p99, max } };
  }
}

/**
 * What a node has done since it started, as Cassandra's nodetool shows it in proxyhistograms
 * (the requests it coordinated, with the latency of the last minute or two), tpstats and info
 * (its replica work; the hint store, hint replay and storage count their own). Counters only: a
 * request costs an increment and one histogram entry.
 */
export class NodeStats {
  readonly startedMs: number;
  readonly writes: CoordinatedRequests;
  readonly reads: CoordinatedRequests;
  /** Replicas a coordinated read wrote the winning cell back to. */
  readRepairs = 0;
  /** Cells this node was sent as a replica (from coordinators, hint replay, streaming, repair). */
  replicaWrites = 0;
  replicaReads = 0;

  constructor(private readonly clock: Pick<Clock, 'monotonicMs'>) {
    this.startedMs = clock.monotonicMs();
    this.writes = new CoordinatedRequests(clock);
    this.reads = new CoordinatedRequests(clock);
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
