/** A uniform number in [0, 1). The load generator takes one so that tests can replay a run. */
export type UniformSource = () => number;

/**
 * mulberry32: a small, fast seeded generator, plenty for picking keys and operations (it is
 * not for anything that must be unpredictable).
 */
export function seededUniform(seed: number): UniformSource {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
