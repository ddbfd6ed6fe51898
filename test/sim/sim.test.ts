import { describe, expect, it } from 'vitest';
import { REGRESSION_SEEDS } from './regressions.js';
import { runSeed } from './run.js';
import { failureTrace } from './trace.js';

/** Enough seeds to cover every fault kind often, within CI's time on two cores. */
const CI_SEEDS = Number(process.env.SIM_SEEDS ?? 60);

async function expectClean(seed: number): Promise<void> {
  const result = await runSeed(seed);
  // The trace is the message: it says what broke and how to replay it.
  expect(result.violations, failureTrace(result)).toEqual([]);
}

describe('deterministic simulation', () => {
  it('replays a seed exactly', async () => {
    const a = await runSeed(7, { faultPhaseMs: 1500 });
    const b = await runSeed(7, { faultPhaseMs: 1500 });
    expect(b.ops).toEqual(a.ops);
    expect(b.journal).toEqual(a.journal);
  });

  for (const { seed, bug } of REGRESSION_SEEDS) {
    it(`regression seed ${seed}: ${bug.slice(0, 60)}`, () => expectClean(seed));
  }

  it(`keeps its promises under faults for ${CI_SEEDS} seeds`, async () => {
    for (let seed = 1000; seed < 1000 + CI_SEEDS; seed++) await expectClean(seed);
  }, 240_000);
});
