/**
 * npm run sim                       runs 20 seeds from a random start
 * npm run sim -- --seeds 1000       runs more (add --keep-going to run on past a failing seed)
 * npm run sim -- --from 42          starts at seed 42
 * SEED=1234 npm run sim             replays one seed and prints the failing key's trace
 * npm run sim -- --membership     nodes join, decommission and get removed during the workload
 * add --verbose for node logs in the trace, --fault-ms N for a longer fault phase,
 * --era crashes|stalls to replay a seed found before the simulation stalled nodes and disks, or
 * stopped them gracefully (the faults of each era: era.ts)
 */
import { isSimEra, LATEST_ERA, SIM_ERAS } from './era.js';
import { runSeed } from './run.js';
import { failureTrace, summaryLine } from './trace.js';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<number> {
  const verbose = process.argv.includes('--verbose');
  const faultMs = flag('fault-ms');
  const scenario = process.argv.includes('--membership') ? 'membership' : 'faults';
  const era = flag('era') ?? LATEST_ERA;
  if (!isSimEra(era)) {
    console.error(`unknown era ${era}: use one of ${SIM_ERAS.join(', ')}`);
    return 2;
  }
  const options = {
    verbose,
    scenario,
    era,
    ...(faultMs ? { faultPhaseMs: Number(faultMs) } : {}),
  } as const;
  const single = process.env.SEED;
  const seeds: number[] = [];
  if (single !== undefined && single !== '') {
    seeds.push(Number(single) >>> 0);
  } else {
    const count = Number(flag('seeds') ?? 20);
    // The start is the one random thing here, and it is printed, so every seed can be replayed.
    const from = Number(flag('from') ?? Math.floor(Math.random() * 2 ** 31)) >>> 0;
    for (let i = 0; i < count; i++) seeds.push((from + i) >>> 0);
    console.log(`running ${count} ${scenario} seeds from ${from}`);
  }
  let failures = 0;
  const started = performance.now();
  for (const seed of seeds) {
    const t0 = performance.now();
    let failed: boolean;
    try {
      const result = await runSeed(seed, options);
      console.log(summaryLine(result, performance.now() - t0));
      failed = result.violations.length > 0;
      if (failed) console.log(failureTrace(result));
    } catch (e) {
      // runSeed's error is the stopped run's trace, seed and replay line included.
      console.log(e instanceof Error ? e.message : String(e));
      failed = true;
    }
    if (failed) {
      failures++;
      if (seeds.length > 1 && !process.argv.includes('--keep-going')) break;
    }
  }
  const total = performance.now() - started;
  console.log(
    `${seeds.length === 1 ? 'seed' : 'seeds'} done: ${failures} failed, ${(total / 1000).toFixed(1)} s (${(total / seeds.length).toFixed(0)} ms per seed)`,
  );
  return failures > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(2);
  },
);
