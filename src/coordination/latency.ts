/**
 * Recent response times per replica: an exponentially weighted average for routing and a small
 * window for percentiles (speculative retry at the 99th percentile, as Cassandra's default).
 */
const WINDOW_SAMPLES = 256;
/** Until a replica has this many samples its percentile is not trusted. */
const MIN_SAMPLES_FOR_PERCENTILE = 20;
const EWMA_ALPHA = 0.2;

/**
 * A percentile is recomputed after this many new samples, not on every read: sorting the window
 * costs tens of microseconds, more than the rest of a read's coordination, and a window of 256
 * barely moves in 16 samples.
 */
const PERCENTILE_REFRESH_SAMPLES = 16;

class Window {
  readonly samples = new Float64Array(WINDOW_SAMPLES);
  count = 0;
  next = 0;
  ewma = 0;
  private added = 0;
  private readonly cached = new Map<number, { value: number | undefined; atAdded: number }>();

  add(ms: number): void {
    this.samples[this.next] = ms;
    this.next = (this.next + 1) % WINDOW_SAMPLES;
    this.count = Math.min(this.count + 1, WINDOW_SAMPLES);
    this.added++;
    this.ewma = this.count === 1 ? ms : this.ewma + EWMA_ALPHA * (ms - this.ewma);
  }

  percentile(p: number): number | undefined {
    if (this.count < MIN_SAMPLES_FOR_PERCENTILE) return undefined;
    const hit = this.cached.get(p);
    if (hit !== undefined && this.added - hit.atAdded < PERCENTILE_REFRESH_SAMPLES) return hit.value;
    const sorted = this.samples.slice(0, this.count).sort();
    const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
    const value = sorted[Math.max(0, index)];
    this.cached.set(p, { value, atAdded: this.added });
    return value;
  }
}

export class LatencyTracker {
  private readonly windows = new Map<string, Window>();
  /** Every replica's samples together: what a replica heard from too seldom is judged by. */
  private readonly pooled = new Window();

  record(hostId: string, ms: number): void {
    let w = this.windows.get(hostId);
    if (!w) {
      w = new Window();
      this.windows.set(hostId, w);
    }
    w.add(ms);
    this.pooled.add(ms);
  }

  ewma(hostId: string): number | undefined {
    const w = this.windows.get(hostId);
    return w && w.count > 0 ? w.ewma : undefined;
  }

  /**
   * The replica's own percentile once it has enough samples; before, every replica's together, as
   * Cassandra reads one table-wide histogram. Without the fallback a replica this coordinator
   * seldom asks had no percentile, so a read that went to it while it stalled was never retried
   * and waited out its whole timeout. Undefined until the pool has enough samples either.
   */
  percentile(hostId: string, p: number): number | undefined {
    return this.windows.get(hostId)?.percentile(p) ?? this.pooled.percentile(p);
  }
}
