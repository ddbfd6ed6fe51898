/** Seeds that once found a bug, with what it was. Every one runs in sim.test.ts forever after. */
export const REGRESSION_SEEDS: readonly { seed: number; bug: string }[] = [
  {
    seed: 41,
    bug: 'a restarted node coordinated with a ring of itself alone until gossip arrived, writing to the wrong replicas and losing acknowledged writes; peers now persist in the node meta',
  },
];
