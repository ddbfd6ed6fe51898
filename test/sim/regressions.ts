/** Seeds that once found a bug, with what it was. Every one runs in sim.test.ts forever after. */
export const REGRESSION_SEEDS: readonly { seed: number; bug: string }[] = [];
