import { describe, expect, it } from 'vitest';
import type { SimEra } from './era.js';
import { REGRESSION_SEEDS } from './regressions.js';
import { runSeed, type Scenario } from './run.js';
import { failureTrace } from './trace.js';

/** Enough seeds to cover every fault kind often, within CI's time on two cores. */
const CI_SEEDS = Number(process.env.SIM_SEEDS ?? 60);
/** Each joins, decommissions or removes one to three nodes under faults: fewer, as each runs longer. */
const CI_MEMBERSHIP_SEEDS = Number(process.env.SIM_MEMBERSHIP_SEEDS ?? 25);

/** Runs a seed, expects no violation, and returns how many faults of each kind it injected. */
async function expectClean(seed: number, scenario: Scenario, era?: SimEra): Promise<Record<string, number>> {
  const result = await runSeed(seed, { scenario, ...(era ? { era } : {}) });
  // The trace is the message: it says what broke and how to replay it.
  expect(result.violations, failureTrace(result)).toEqual([]);
  return result.stats.faults;
}

describe('deterministic simulation', () => {
  it('replays a seed exactly', async () => {
    const a = await runSeed(7, { faultPhaseMs: 4000, scenario: 'membership' });
    const b = await runSeed(7, { faultPhaseMs: 4000, scenario: 'membership' });
    expect(a.stats.membershipChanges).toBeGreaterThan(0);
    expect(b.ops).toEqual(a.ops);
    expect(b.journal).toEqual(a.journal);
  });

  for (const { seed, scenario, bug, era } of REGRESSION_SEEDS) {
    it(`regression seed ${seed} (${scenario}): ${bug.slice(0, 60)}`, async () => {
      await expectClean(seed, scenario, era);
    });
  }

  it(`keeps its promises under faults for ${CI_SEEDS} seeds`, async () => {
    let stops = 0;
    for (let seed = 1000; seed < 1000 + CI_SEEDS; seed++)
      stops += (await expectClean(seed, 'faults'))['stop'] ?? 0;
    // Graceful stops race the other faults in some of them.
    if (CI_SEEDS >= 10) expect(stops).toBeGreaterThan(0);
  }, 240_000);

  it(`keeps its promises while nodes join, decommission and get removed, for ${CI_MEMBERSHIP_SEEDS} seeds`, async () => {
    for (let seed = 1000; seed < 1000 + CI_MEMBERSHIP_SEEDS; seed++) await expectClean(seed, 'membership');
  }, 240_000);
});
