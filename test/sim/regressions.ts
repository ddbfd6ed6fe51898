import type { SimEra } from './era.js';
import type { Scenario } from './run.js';

/**
 * Seeds that once found a bug, with what it was. Every one runs in sim.test.ts forever after. A
 * seed replays the scenario it found only with the simulation of its time: the workload and fault
 * schedule change when the simulation does, so bugs keep the seeds that reproduced them last.
 */
export const REGRESSION_SEEDS: readonly {
  seed: number;
  scenario: Scenario;
  bug: string;
  /** The simulation's faults when it was found: it replays the schedule it found. */
  era: SimEra;
}[] = [
  {
    seed: 41,
    scenario: 'faults',
    era: 'crashes',
    bug: 'restarted node coordinated with a ring of itself alone (first simulation version)',
  },
  {
    seed: 10,
    scenario: 'faults',
    era: 'crashes',
    bug: 'restarted node coordinated with a ring of itself alone: wrong replicas, acknowledged writes lost',
  },
  {
    seed: 30,
    scenario: 'faults',
    era: 'crashes',
    bug: 'restarted node coordinated with a ring of itself alone: wrong replicas, acknowledged writes lost',
  },
  {
    seed: 204,
    scenario: 'membership',
    era: 'crashes',
    bug: 'decommissioned node crashed before exiting, restarted, and rejoined the ring NORMAL with stale data',
  },
  {
    seed: 148,
    scenario: 'membership',
    era: 'crashes',
    bug: 'removenode from a node just restarted from saved peers: its LEFT was of an older generation and lost, the dead node stayed in the ring',
  },
  {
    seed: 1147,
    scenario: 'membership',
    era: 'crashes',
    bug: 'join with no live source for a range became NORMAL without its data; read at ONE missed a write at ALL',
  },
  {
    seed: 1107,
    scenario: 'membership',
    era: 'crashes',
    bug: 'joiner streamed from the first live replica, not the one it replaced; read at ALL after the join missed a write at ONE',
  },
  {
    seed: 1119,
    scenario: 'membership',
    era: 'crashes',
    bug: 'decommissioned node exited before anyone heard LEFT; it stayed LEAVING everywhere and blocked removenode',
  },
  {
    seed: 2139,
    scenario: 'membership',
    era: 'crashes',
    bug: 'removenode from a restarted node while the dead node clock ran ahead: LEFT at "now" still lost to its generation',
  },
  {
    seed: 2207,
    scenario: 'membership',
    era: 'crashes',
    bug: 'remover crashed right after removenode; restarted with the node LEFT on disk, its hints for it never drained',
  },
  {
    seed: 496,
    scenario: 'membership',
    era: 'crashes',
    bug: 'decommissioned node cut off one way saw every peer down, stopped announcing LEFT and exited unheard: LEAVING for good',
  },
  {
    seed: 5006,
    scenario: 'membership',
    era: 'crashes',
    bug: 'checker: a put at ANY held only as a hint on a coordinator that was then removed for good counted as lost',
  },
  {
    seed: 1009,
    scenario: 'membership',
    era: 'crashes',
    bug: 'a full disk failed the save of the peers after a removenode: an unhandled rejection, which kills a real node',
  },
  {
    seed: 50243,
    scenario: 'membership',
    era: 'stalls',
    bug: 'checker: a removenode counted done while every member was down or paused, though its remover died before the removal spread',
  },
  {
    seed: 103428,
    scenario: 'faults',
    era: 'stalls',
    bug: 'simulation: a pause begun after the fault phase ended outlasted the wait for it, and the run threw without its seed',
  },
  {
    seed: 151157,
    scenario: 'membership',
    era: 'stops',
    bug: 'simulation: a node stopped while its decommission finished stayed "draining" once it exited, and the driver waited on it for ever',
  },
];
