import { build, type Histogram } from 'hdr-histogram-js';

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** Latencies are recorded in microseconds: 3 significant digits from 1 µs up to an hour. */
const HIGHEST_TRACKABLE_MICROS = 3_600_000_000;

/** An HDR histogram of operation latencies, reported in milliseconds. */
export class LatencyRecorder {
  private readonly histogram: Histogram = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_TRACKABLE_MICROS,
    numberOfSignificantValueDigits: 3,
    autoResize: false,
  });

  recordMs(ms: number): void {
    const micros = Math.min(HIGHEST_TRACKABLE_MICROS, Math.max(1, Math.round(ms * 1000)));
    this.histogram.recordValue(micros);
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /** Adds what another recorder holds to this one. */
  add(other: LatencyRecorder): void {
    this.histogram.add(other.histogram);
  }

  /**
   * Percentiles and the mean, none above the max. The histogram gives a percentile as the highest
   * value of its bucket, and the mean from bucket midpoints, so both can lie above the exact
   * maximum it also keeps (p99.9 101.951 ms, max 101.911 ms), which reads as a broken measurement;
   * within a bucket's width (0.1%) the max is as true a percentile as the bucket's edge.
   */
  summary(): LatencySummary {
    const h = this.histogram;
    if (h.totalCount === 0) return { p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 };
    const ms = (micros: number) => Math.round(Math.min(micros, h.maxValue)) / 1000;
    return {
      p50: ms(h.getValueAtPercentile(50)),
      p90: ms(h.getValueAtPercentile(90)),
      p99: ms(h.getValueAtPercentile(99)),
      p999: ms(h.getValueAtPercentile(99.9)),
      max: ms(h.maxValue),
      mean: ms(h.mean),
    };
  }
}
