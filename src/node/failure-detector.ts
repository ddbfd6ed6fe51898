/**
 * Phi-accrual failure detector (Hayashibara et al.), with Akka's logistic approximation of the
 * normal CDF. Instead of a yes/no timeout it gives a suspicion level phi that grows the longer a
 * peer stays silent compared with how regularly it has been heard from; a peer is convicted when
 * phi reaches the threshold. Pure: the driver feeds heartbeats and asks with its monotonic clock.
 *
 * Defaults, for gossip every second: a steady peer has mean interval 1000 ms and a window standard
 * deviation near 0, so the floor of 1000 ms applies. phi crosses 8 at y ≈ 5.226 standard deviations
 * past the mean, and the mean includes the acceptable pause of 3500 ms, so a peer that stops is
 * convicted 1000 + 3500 + 5226 ≈ 9.7 s after its last heartbeat reached us: about 10 s after a
 * SIGSTOP. The generous floor keeps a jittery or briefly delayed peer (GC pause, a lost gossip
 * round) from flapping: a 3 s gap gives phi ≈ 0.03.
 */

export interface PhiAccrualOptions {
  /** phi at and above which a peer is convicted (Cassandra's phi_convict_threshold). */
  threshold: number;
  /** Inter-arrival samples kept per peer; older ones slide out. */
  maxSampleSize: number;
  /** Floor on the standard deviation: a perfectly regular peer must not be convicted by one late beat. */
  minStdDeviationMs: number;
  /** Added to the mean interval: a silence this long beyond normal is tolerated outright. */
  acceptablePauseMs: number;
  /** The interval assumed before anything is measured; seeds the window with two samples. */
  firstHeartbeatEstimateMs: number;
}

export const DEFAULT_PHI_ACCRUAL_OPTIONS: Readonly<PhiAccrualOptions> = {
  // Cassandra's and Akka's default; 10^-8 chance that a live peer is this late.
  threshold: 8,
  // Akka's default: enough history to be stable, little memory (8 KB per peer).
  maxSampleSize: 1000,
  // With 1 s gossip this dominates the measured deviation; see the conviction time above.
  minStdDeviationMs: 1000,
  // A few lost gossip rounds or a long GC pause are not a failure.
  acceptablePauseMs: 3500,
  // Gossip runs every second.
  firstHeartbeatEstimateMs: 1000,
};

/** A fixed-size window of intervals with running sums, so mean and variance cost O(1). */
class IntervalWindow {
  private readonly samples: Float64Array;
  private next = 0;
  private count = 0;
  private sum = 0;
  private sumOfSquares = 0;

  constructor(capacity: number) {
    this.samples = new Float64Array(capacity);
  }

  add(intervalMs: number): void {
    if (this.count === this.samples.length) {
      const old = this.samples[this.next] as number;
      this.sum -= old;
      this.sumOfSquares -= old * old;
    } else {
      this.count++;
    }
    this.samples[this.next] = intervalMs;
    this.sum += intervalMs;
    this.sumOfSquares += intervalMs * intervalMs;
    this.next = (this.next + 1) % this.samples.length;
  }

  get size(): number {
    return this.count;
  }

  mean(): number {
    return this.sum / this.count;
  }

  stdDeviation(): number {
    const mean = this.mean();
    // Running sums can drift a hair below zero through rounding.
    return Math.sqrt(Math.max(0, this.sumOfSquares / this.count - mean * mean));
  }
}

interface PeerHistory {
  window: IntervalWindow;
  lastHeartbeatMs: number;
}

/**
 * phi for a silence of `elapsedMs` given the interval distribution, with Akka's logistic
 * approximation of the normal CDF (error below 0.01%); exported for tests and the REPL.
 */
export function phiOf(elapsedMs: number, meanMs: number, stdDeviationMs: number): number {
  const y = (elapsedMs - meanMs) / stdDeviationMs;
  const e = Math.exp(-y * (1.5976 + 0.070566 * y * y));
  const p = elapsedMs > meanMs ? e / (1 + e) : 1 - 1 / (1 + e);
  // + 0 turns -0 (log10 of exactly 1) into 0.
  return -Math.log10(p) + 0;
}

export class PhiAccrualDetector {
  readonly options: Readonly<PhiAccrualOptions>;
  private readonly peers = new Map<string, PeerHistory>();

  constructor(options: Partial<PhiAccrualOptions> = {}) {
    const o = { ...DEFAULT_PHI_ACCRUAL_OPTIONS, ...options };
    if (!(o.threshold > 0)) throw new Error(`phi threshold must be positive, got ${o.threshold}`);
    if (!Number.isInteger(o.maxSampleSize) || o.maxSampleSize < 2) {
      throw new Error(`maxSampleSize must be an integer >= 2, got ${o.maxSampleSize}`);
    }
    if (!(o.minStdDeviationMs > 0)) throw new Error(`minStdDeviationMs must be positive`);
    if (!(o.acceptablePauseMs >= 0)) throw new Error(`acceptablePauseMs must be >= 0`);
    if (!(o.firstHeartbeatEstimateMs > 0)) throw new Error(`firstHeartbeatEstimateMs must be positive`);
    this.options = o;
  }

  /** Record that `peer` was heard from (its gossip heartbeat advanced) at monotonic time `nowMs`. */
  heartbeat(peer: string, nowMs: number): void {
    if (!Number.isFinite(nowMs)) throw new Error(`heartbeat time must be finite, got ${nowMs}`);
    const history = this.peers.get(peer);
    if (history === undefined) {
      this.peers.set(peer, { window: this.bootstrapWindow(), lastHeartbeatMs: nowMs });
      return;
    }
    const intervalMs = nowMs - history.lastHeartbeatMs;
    // A monotonic clock never goes back; two heartbeats in the same ms carry no interval.
    if (intervalMs <= 0) return;
    // As in Akka: the silence that got a peer convicted is an outage, not a sample of how often it
    // beats; learning it would make the detector slow to convict the next time.
    if (this.isAvailable(peer, nowMs)) history.window.add(intervalMs);
    history.lastHeartbeatMs = nowMs;
  }

  /** Suspicion that `peer` is down; 0 for a peer never heard from (nothing to suspect yet). */
  phi(peer: string, nowMs: number): number {
    const history = this.peers.get(peer);
    if (history === undefined) return 0;
    const elapsedMs = Math.max(0, nowMs - history.lastHeartbeatMs);
    const meanMs = history.window.mean() + this.options.acceptablePauseMs;
    const stdDeviationMs = Math.max(history.window.stdDeviation(), this.options.minStdDeviationMs);
    return phiOf(elapsedMs, meanMs, stdDeviationMs);
  }

  /** Below the threshold. A peer never heard from counts as available, as in Akka. */
  isAvailable(peer: string, nowMs: number): boolean {
    return this.phi(peer, nowMs) < this.options.threshold;
  }

  /** Whether any heartbeat of `peer` was recorded. */
  knows(peer: string): boolean {
    return this.peers.has(peer);
  }

  /** When `peer` was last heard from, in the driver's monotonic ms; undefined if never. */
  lastHeartbeatMs(peer: string): number | undefined {
    return this.peers.get(peer)?.lastHeartbeatMs;
  }

  /** Forget a peer (it left the cluster); its next heartbeat starts a fresh window. */
  remove(peer: string): void {
    this.peers.delete(peer);
  }

  /** As Akka: the first estimate as mean, a quarter of it as deviation, as two samples. */
  private bootstrapWindow(): IntervalWindow {
    const window = new IntervalWindow(this.options.maxSampleSize);
    const meanMs = this.options.firstHeartbeatEstimateMs;
    const stdDeviationMs = meanMs / 4;
    window.add(meanMs - stdDeviationMs);
    window.add(meanMs + stdDeviationMs);
    return window;
  }
}
