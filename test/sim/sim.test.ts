import { describe, expect, it } from 'vitest';
import { REGRESSION_SEEDS } from './regressions.js';
import { runSeed, type Scenario } from './run.js';
import { failureTrace } from './trace.js';

/** Enough seeds to cover every fault kind often, within CI's time on two cores. */
const CI_SEEDS = Number(process.env.SIM_SEEDS ?? 60);
/** Each joins, decommissions or removes one to three nodes under faults: fewer, as each runs longer. */
const CI_MEMBERSHIP_SEEDS = Number(process.env.SIM_MEMBERSHIP_SEEDS ?? 25);

async function expectClean(seed: number, scenario: Scenario, stalls = true): Promise<void> {
  const result = await runSeed(seed, { scenario, stalls });
  // The trace is the message: it says what broke and how to replay it.
  expect(result.violations, failureTrace(result)).toEqual([]);
}

describe('deterministic simulation', () => {
  it('replays a seed exactly', async () => {
    const a = await runSeed(7, { faultPhaseMs: 4000, scenario: 'membership' });
    const b = await runSeed(7, { faultPhaseMs: 4000, scenario: 'membership' });
    expect(a.stats.membershipChanges).toBeGreaterThan(0);
    expect(b.ops).toEqual(a.ops);
    expect(b.journal).toEqual(a.journal);
  });

  for (const { seed, scenario, bug, stalls } of REGRESSION_SEEDS) {
    it(`regression seed ${seed} (${scenario}): ${bug.slice(0, 60)}`, () =>
      expectClean(seed, scenario, stalls));
  }

  it(`keeps its promises under faults for ${CI_SEEDS} seeds`, async () => {
    for (let seed = 1000; seed < 1000 + CI_SEEDS; seed++) await expectClean(seed, 'faults');
  }, 240_000);

  it(`keeps its promises while nodes join, decommission and get removed, for ${CI_MEMBERSHIP_SEEDS} seeds`, async () => {
    for (let seed = 1000; seed < 1000 + CI_MEMBERSHIP_SEEDS; seed++) await expectClean(seed, 'membership');
  }, 240_000);
});
