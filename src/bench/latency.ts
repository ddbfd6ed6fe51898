import type { LatencySummary } from '../protocol/latency-recorder.js';

/**
 * A run's latencies with none above the largest one recorded. The HDR histogram gives a percentile
 * as the highest value of its bucket, and the mean from bucket midpoints: both can lie above the
 * exact maximum it also keeps (p99.9 101.951 ms, max 101.911 ms), which reads as a broken
 * measurement. Within a bucket's width (0.1%) the max is as true a percentile as its edge.
 */
export function boundedByMax(latency: LatencySummary): LatencySummary {
  const { max } = latency;
  const bounded = (ms: number) => Math.min(ms, max);
  return {
    p50: bounded(latency.p50),
    p90: bounded(latency.p90),
    p99: bounded(latency.p99),
    p999: bounded(latency.p999),
    max,
    mean: bounded(latency.mean),
  };
}
