/**
 * Recent response times per replica: an exponentially weighted average for routing and a small
 * window for percentiles (speculative retry at the 99th percentile, as Cassandra's default).
 */
const WINDOW_SAMPLES = 256;
/** Until a replica has this many samples its percentile is not trusted. */
const MIN_SAMPLES_FOR_PERCENTILE = 20;
const EWMA_ALPHA = 0.2;

class Window {
  readonly samples = new Float64Array(WINDOW_SAMPLES);
  count = 0;
  next = 0;
  ewma = 0;

  add(ms: number): void {
    this.samples[this.next] = ms;
    this.next = (this.next + 1) % WINDOW_SAMPLES;
    this.count = Math.min(this.count + 1, WINDOW_SAMPLES);
    this.ewma = this.count === 1 ? ms : this.ewma + EWMA_ALPHA * (ms - this.ewma);
  }

  percentile(p: number): number | undefined {
    if (this.count < MIN_SAMPLES_FOR_PERCENTILE) return undefined;
    const sorted = Array.from(this.samples.subarray(0, this.count)).sort((a, b) => a - b);
    const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
    return sorted[Math.max(0, index)];
  }
}

export class LatencyTracker {
  private readonly windows = new Map<string, Window>();

  record(hostId: string, ms: number): void {
    let w = this.windows.get(hostId);
    if (!w) {
      w = new Window();
      this.windows.set(hostId, w);
    }
    w.add(ms);
  }

  ewma(hostId: string): number | undefined {
    const w = this.windows.get(hostId);
    return w && w.count > 0 ? w.ewma : undefined;
  }

  percentile(hostId: string, p: number): number | undefined {
    return this.windows.get(hostId)?.percentile(p);
  }
}
