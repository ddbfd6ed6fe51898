import { seededUniform } from '../../src/bench/random.js';
import type { Random } from '../../src/node/world.js';

/**
 * A small seeded generator (mulberry32, as the benchmark's): the whole simulation draws from it,
 * so one 32-bit seed replays a run exactly. Not for anything but tests.
 */
export class Prng implements Random {
  readonly next: () => number;

  constructor(seed: number) {
    this.next = seededUniform(seed);
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A number in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + this.next() * (hi - lo);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)] as T;
  }

  /** An independent stream, so that one part drawing more numbers does not shift another's. */
  fork(): Prng {
    return new Prng(Math.floor(this.next() * 4294967296));
  }
}
