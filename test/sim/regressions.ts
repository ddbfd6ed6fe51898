/**
 * Seeds that once found a bug, with what it was. Every one runs in sim.test.ts forever after. A
 * seed replays the scenario it found only with the simulation of its time: the workload and fault
 * schedule change when the simulation does, so bugs keep the seeds that reproduced them last.
 */
export const REGRESSION_SEEDS: readonly { seed: number; bug: string }[] = [
  {
    seed: 41,
    bug: 'restarted node coordinated with a ring of itself alone (first simulation version)',
  },
  {
    seed: 10,
    bug: 'restarted node coordinated with a ring of itself alone: wrong replicas, acknowledged writes lost',
  },
  {
    seed: 30,
    bug: 'restarted node coordinated with a ring of itself alone: wrong replicas, acknowledged writes lost',
  },
];
