import { describe, expect, it } from 'vitest';
import { seededUniform } from '../../src/bench/random.js';
import { DEFAULT_PHI_ACCRUAL_OPTIONS, PhiAccrualDetector, phiOf } from '../../src/node/failure-detector.js';

// Seeded, so the jittery series is the same on every run.
const seeded = seededUniform;

/** Feed heartbeats at the given inter-arrival times, starting at t = 0; returns the last beat's time. */
function feed(detector: PhiAccrualDetector, peer: string, intervalsMs: readonly number[]): number {
  let now = 0;
  detector.heartbeat(peer, now);
  for (const interval of intervalsMs) {
    now += interval;
    detector.heartbeat(peer, now);
  }
  return now;
}

/** The first ms after `fromMs` at which the peer is convicted (phi >= threshold), searched in 1 ms steps. */
function convictionDelayMs(detector: PhiAccrualDetector, peer: string, fromMs: number): number {
  let lo = fromMs;
  let hi = fromMs + 1;
  while (detector.isAvailable(peer, hi)) hi = fromMs + (hi - fromMs) * 2;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (detector.isAvailable(peer, mid)) lo = mid;
    else hi = mid;
  }
  return hi - fromMs;
}

describe('phi-accrual failure detector', () => {
  it('keeps a peer with steady 1 s heartbeats available between beats', () => {
    const detector = new PhiAccrualDetector();
    let now = 0;
    detector.heartbeat('a', now);
    for (let i = 0; i < 300; i++) {
      // Ask just before each beat, when suspicion is highest.
      expect(detector.isAvailable('a', now + 999)).toBe(true);
      expect(detector.phi('a', now + 999)).toBeLessThan(0.5);
      now += 1000;
      detector.heartbeat('a', now);
    }
  });

  it('convicts a silent peer about 10 s after its last 1 s heartbeat with the defaults', () => {
    const detector = new PhiAccrualDetector();
    const last = feed(detector, 'a', Array<number>(100).fill(1000));
    const delayMs = convictionDelayMs(detector, 'a', last);
    const o = DEFAULT_PHI_ACCRUAL_OPTIONS;
    // mean + pause + 5.226 sd: the logistic CDF's tail reaches 10^-8 at 5.226 deviations.
    const expectedMs = 1000 + o.acceptablePauseMs + 5.226 * o.minStdDeviationMs;
    console.log(
      `phi-accrual defaults (threshold ${o.threshold}, min sd ${o.minStdDeviationMs} ms, pause ${o.acceptablePauseMs} ms): ` +
        `steady 1 s heartbeats -> convicted ${delayMs} ms after the last one`,
    );
    expect(Math.abs(delayMs - expectedMs)).toBeLessThan(5);
    expect(delayMs).toBeGreaterThan(8000);
    expect(delayMs).toBeLessThan(11000);
    expect(detector.isAvailable('a', last + 8000)).toBe(true);
    expect(detector.isAvailable('a', last + 11000)).toBe(false);
  });

  it('phi rises monotonically with silence', () => {
    const detector = new PhiAccrualDetector();
    const last = feed(detector, 'a', Array<number>(50).fill(1000));
    let previous = -1;
    for (let t = 0; t <= 20_000; t += 250) {
      const phi = detector.phi('a', last + t);
      expect(phi).toBeGreaterThanOrEqual(previous);
      previous = phi;
    }
    expect(previous).toBeGreaterThan(8);
  });

  it('tolerates a jittery peer and convicts it later than a steady one', () => {
    const random = seeded(42);
    // 1 s gossip seen through other nodes: anywhere from 200 ms to 3 s apart.
    const intervals = Array.from({ length: 500 }, () => 200 + Math.floor(random() * 2800));
    const detector = new PhiAccrualDetector();
    let now = 0;
    detector.heartbeat('a', now);
    for (const interval of intervals) {
      expect(detector.isAvailable('a', now + interval - 1)).toBe(true);
      now += interval;
      detector.heartbeat('a', now);
    }
    const steady = new PhiAccrualDetector();
    const steadyLast = feed(steady, 'a', Array<number>(500).fill(1000));
    const jitteryDelayMs = convictionDelayMs(detector, 'a', now);
    const steadyDelayMs = convictionDelayMs(steady, 'a', steadyLast);
    console.log(`jittery 0.2..3 s heartbeats -> convicted ${jitteryDelayMs} ms after the last one`);
    expect(jitteryDelayMs).toBeGreaterThan(steadyDelayMs);
    // Mean 1.6 s, sd ≈ 0.8 s < floor: mean + pause + 5.226 s.
    expect(jitteryDelayMs).toBeGreaterThan(9500);
    expect(jitteryDelayMs).toBeLessThan(11500);
  });

  it('a lower threshold convicts sooner', () => {
    const strict = new PhiAccrualDetector({ threshold: 3 });
    const lenient = new PhiAccrualDetector({ threshold: 12 });
    const a = feed(strict, 'a', Array<number>(20).fill(1000));
    const b = feed(lenient, 'a', Array<number>(20).fill(1000));
    expect(convictionDelayMs(strict, 'a', a)).toBeLessThan(convictionDelayMs(lenient, 'a', b));
  });

  it('recovers as soon as heartbeats resume, without learning the outage', () => {
    const detector = new PhiAccrualDetector();
    let now = feed(detector, 'a', Array<number>(60).fill(1000));
    const before = convictionDelayMs(detector, 'a', now);
    // Silent for 60 s: convicted.
    now += 60_000;
    expect(detector.isAvailable('a', now)).toBe(false);
    detector.heartbeat('a', now);
    expect(detector.isAvailable('a', now)).toBe(true);
    expect(detector.phi('a', now)).toBeLessThan(0.001);
    for (let i = 0; i < 5; i++) {
      now += 1000;
      detector.heartbeat('a', now);
    }
    // The 60 s gap was not taken as a sample, so the next silence is judged as before.
    expect(convictionDelayMs(detector, 'a', now)).toBe(before);
  });

  it('knows nothing of peers it never heard from, and forgets removed ones', () => {
    const detector = new PhiAccrualDetector();
    expect(detector.phi('ghost', 1_000_000)).toBe(0);
    expect(detector.isAvailable('ghost', 1_000_000)).toBe(true);
    expect(detector.knows('ghost')).toBe(false);
    detector.heartbeat('a', 0);
    expect(detector.knows('a')).toBe(true);
    expect(detector.lastHeartbeatMs('a')).toBe(0);
    expect(detector.isAvailable('a', 60_000)).toBe(false);
    detector.remove('a');
    expect(detector.knows('a')).toBe(false);
    expect(detector.isAvailable('a', 60_000)).toBe(true);
  });

  it('judges a peer heard from once by the first estimate', () => {
    const detector = new PhiAccrualDetector();
    detector.heartbeat('a', 5000);
    // Window 750/1250 ms: mean 1000, sd 250 -> floored to 1000.
    expect(detector.isAvailable('a', 5000 + 9000)).toBe(true);
    expect(detector.isAvailable('a', 5000 + 10_500)).toBe(false);
  });

  it('slides its window: a peer that speeds up is judged by its recent rhythm', () => {
    // 5 s apart for a long time, then every 500 ms.
    const series = [...Array<number>(100).fill(5000), ...Array<number>(40).fill(500)];
    const recent = new PhiAccrualDetector({ maxSampleSize: 20 });
    const long = new PhiAccrualDetector({ maxSampleSize: 1000 });
    const last = feed(recent, 'a', series);
    feed(long, 'a', series);
    // Only the 500 ms intervals are left in the small window: 12 s of silence is damning there,
    // while the long window still remembers the slow rhythm.
    expect(recent.isAvailable('a', last + 12_000)).toBe(false);
    expect(long.isAvailable('a', last + 12_000)).toBe(true);
  });

  it('phiOf matches the normal tail at known points', () => {
    expect(phiOf(1000, 1000, 100)).toBeCloseTo(-Math.log10(0.5), 3);
    // One deviation above the mean: normal tail 0.1587.
    expect(phiOf(1100, 1000, 100)).toBeCloseTo(-Math.log10(0.1587), 2);
    // Far below the mean: no suspicion at all.
    expect(phiOf(0, 10_000, 100)).toBe(0);
    expect(phiOf(1e9, 1000, 100)).toBe(Infinity);
  });

  it('rejects nonsensical options', () => {
    expect(() => new PhiAccrualDetector({ threshold: 0 })).toThrow();
    expect(() => new PhiAccrualDetector({ maxSampleSize: 1 })).toThrow();
    expect(() => new PhiAccrualDetector({ minStdDeviationMs: 0 })).toThrow();
  });
});
