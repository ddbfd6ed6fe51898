/**
 * What the simulation injected when a seed was found, oldest first: `crashes` (the first fault
 * kinds), `stalls` (paused processes and stalled disks too), `stops` (graceful stops too). A fault
 * added changes everything after it, so a seed replays the scenario it found only in its own era.
 */
export const SIM_ERAS = ['crashes', 'stalls', 'stops'] as const;
export type SimEra = (typeof SIM_ERAS)[number];
export const LATEST_ERA: SimEra = 'stops';

/** Whether the simulation of `era` injects what came in with `since`. */
export function eraHas(era: SimEra, since: SimEra): boolean {
  return SIM_ERAS.indexOf(era) >= SIM_ERAS.indexOf(since);
}

export function isSimEra(s: string): s is SimEra {
  return (SIM_ERAS as readonly string[]).includes(s);
}
