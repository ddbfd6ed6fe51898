import type { HostId } from '../../src/node/world.js';
import type { SimCluster } from './cluster.js';
import type { SimNetwork } from './network.js';
import type { Prng } from './prng.js';
import type { VirtualTime } from './virtual-time.js';

export const FAULT_KINDS = [
  'partition',
  'one-way',
  'crash',
  'power-loss',
  'flaky',
  'slow',
  'clock-jump',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultContext {
  time: VirtualTime;
  network: SimNetwork;
  cluster: SimCluster;
  rng: Prng;
  kinds: readonly FaultKind[];
  requestTimeoutMs: number;
  note(text: string): void;
  /** Once true, a fault's end no longer undoes anything: healing has taken over. */
  healed(): boolean;
  /** A single-node crash fills the node's disk instead: it stops at the first write that fails. */
  diskFull?: boolean;
  /** The node a membership change is moving right now, if any: faults aim at it half the time. */
  focus?: () => HostId | undefined;
}

/**
 * The fault schedule: until `until`, every few hundred ms one fault of the chosen kinds starts and
 * is undone a while later. Counts what it injected by kind.
 */
export async function runFaults(ctx: FaultContext, until: number): Promise<Record<string, number>> {
  const { time, network, cluster, rng } = ctx;
  const note = (text: string) => ctx.note(text);
  const counts: Record<string, number> = {};
  const later = (ms: number, undo: () => void) => time.schedule(ms, () => ctx.healed() || undo());
  while (ctx.kinds.length > 0 && time.nowMs < until - 500) {
    await time.sleep(rng.range(150, 900));
    const kind = rng.pick(ctx.kinds);
    counts[kind] = (counts[kind] ?? 0) + 1;
    const lasts = rng.range(200, 2500);
    const ids = cluster.members().map((n) => n.hostId);
    const focus = ctx.focus?.();
    const aimed = focus !== undefined && ids.includes(focus) && rng.chance(0.5) ? focus : undefined;
    if (kind === 'partition') {
      const side = ids.filter(() => rng.chance(0.5));
      const rest = ids.filter((h) => !side.includes(h));
      const block = network.partition(side, rest, false);
      note(`partition [${side.join(' ')}] | [${rest.join(' ')}] for ${lasts.toFixed(0)} ms`);
      later(lasts, () => network.unblock(block));
    } else if (kind === 'one-way') {
      const from = aimed ?? rng.pick(ids);
      const to = ids.filter((h) => h !== from && rng.chance(0.6));
      const block = network.partition([from], to, true);
      note(`one-way: ${from} cannot reach [${to.join(' ')}] for ${lasts.toFixed(0)} ms`);
      later(lasts, () => network.unblock(block));
    } else if (kind === 'crash' || kind === 'power-loss') {
      // power-loss: several nodes die at the same instant, as in a rack losing power.
      const up = cluster.running().map((n) => n.hostId);
      const count = kind === 'crash' ? 1 : 2 + rng.int(Math.max(1, up.length - 2));
      for (let i = 0; i < count && up.length > 1; i++) {
        const at = i === 0 && aimed !== undefined ? up.indexOf(aimed) : -1;
        const victim = up.splice(at >= 0 ? at : rng.int(up.length), 1)[0] as string;
        if (kind === 'crash' && ctx.diskFull) cluster.fillDisk(victim);
        else cluster.crash(victim);
        later(rng.range(100, 2500), () => void cluster.restart(victim));
      }
    } else if (kind === 'clock-jump') {
      // An operator or NTP steps a node's wall clock, either way; the monotonic clock goes on.
      const n = rng.pick(cluster.members());
      const step = rng.range(-2000, 2000);
      n.skewMs += step;
      note(`${n.hostId} wall clock stepped ${step >= 0 ? '+' : ''}${step.toFixed(0)} ms`);
    } else if (kind === 'flaky') {
      const before = network.faults;
      network.faults = {
        ...before,
        dropRate: rng.range(0.05, 0.3),
        duplicateRate: rng.range(0, 0.2),
      };
      note(
        `flaky network: drop ${network.faults.dropRate.toFixed(2)}, duplicate ${network.faults.duplicateRate.toFixed(2)} for ${lasts.toFixed(0)} ms`,
      );
      later(lasts, () => (network.faults = { ...network.faults, dropRate: 0.01, duplicateRate: 0.01 }));
    } else {
      network.faults = {
        ...network.faults,
        maxLatencyMs: ctx.requestTimeoutMs * rng.range(0.3, 1.5),
        spikeRate: 0.05,
      };
      note(
        `slow network: latency up to ${network.faults.maxLatencyMs.toFixed(0)} ms for ${lasts.toFixed(0)} ms`,
      );
      later(lasts, () => (network.faults = { ...network.faults, maxLatencyMs: 15, spikeRate: 0.01 }));
    }
  }
  return counts;
}

/**
 * Stalls, of a process or of its disk, one node at a time until `until`, each for half a request
 * timeout to eight timeouts.
 * - A paused process (SIGSTOP, a long GC pause) runs nothing and then runs what waited for it.
 *   Its peers time out and convict it; it answers their requests late, to whatever process of
 *   theirs runs by then. So while one is paused, another node is sometimes killed, restarted,
 *   killed again soon after and restarted: the paused node then answers the requests of a process
 *   that lived for a few hundred ms, whose request ids are the first of their kind, to the process
 *   after it.
 * - A stalled disk completes no sync: the node runs, answers reads, and its writes (replica
 *   writes, hints, repairs) wait behind the stall while their coordinators time out.
 * Draws from its own generator, so that a seed's other faults are the same with and without.
 */
export async function runStalls(ctx: FaultContext, until: number): Promise<Record<string, number>> {
  const { time, cluster, rng } = ctx;
  const counts: Record<string, number> = {};
  const count = (kind: string) => (counts[kind] = (counts[kind] ?? 0) + 1);
  while (time.nowMs < until - 500) {
    await time.sleep(rng.range(300, 2000));
    // The sleep can end past `until`: a stall begun then could outlast the run's wait for the fault
    // phase (which allows a stall of eight request timeouts past its end, not one begun late).
    if (time.nowMs >= until) break;
    const running = cluster.running().filter((n) => !n.starting && !n.paused && !n.draining);
    if (running.length < 2 || ctx.healed()) continue;
    const focus = ctx.focus?.();
    const aimed = running.find((n) => n.hostId === focus && rng.chance(0.5));
    const victim = (aimed ?? rng.pick(running)).hostId;
    const lasts = ctx.requestTimeoutMs * rng.range(0.5, 8);
    if (rng.chance(0.3)) {
      count('disk-stall');
      ctx.note(`${victim}'s disk stalls for ${lasts.toFixed(0)} ms`);
      cluster.stallDisk(victim, lasts);
      await time.sleep(lasts);
      continue;
    }
    if (!cluster.pause(victim)) continue;
    count('pause');
    ctx.note(`${victim} paused for ${lasts.toFixed(0)} ms`);
    const started = time.nowMs;
    if (rng.chance(0.4)) {
      const other = rng.pick(running.filter((n) => n.hostId !== victim)).hostId;
      count('bounce');
      ctx.note(`${other} killed, restarted and killed again while ${victim} is paused`);
      for (let round = 0; round < 2 && !ctx.healed(); round++) {
        await time.sleep(rng.range(10, 100));
        cluster.crash(other);
        await time.sleep(rng.range(10, 100));
        void cluster.restart(other);
        await time.sleep(rng.range(100, 400));
      }
    }
    await time.sleep(Math.max(0, started + lasts - time.nowMs));
    // Healing resumes every node itself.
    if (!ctx.healed()) cluster.resume(victim);
  }
  return counts;
}

/**
 * Graceful stops, as in an operator's rolling restart (`ringkv stop`, SIGTERM): now and then until
 * `until` one node stops, announcing it to its peers and draining what it began, and starts again
 * a while after it exited. The other faults go on meanwhile: a stopping node may be cut off,
 * crashed or see its peers crash. Draws from its own generator, as the stalls do.
 */
export async function runStops(ctx: FaultContext, until: number): Promise<Record<string, number>> {
  const { time, cluster, rng } = ctx;
  let stops = 0;
  while (time.nowMs < until - 500) {
    await time.sleep(rng.range(500, 2500));
    if (time.nowMs >= until - 500 || ctx.healed()) break;
    const running = cluster.running().filter((n) => !n.starting && !n.paused && !n.draining);
    if (running.length < 2) continue;
    const focus = ctx.focus?.();
    const aimed = running.find((n) => n.hostId === focus && rng.chance(0.5));
    const victim = (aimed ?? rng.pick(running)).hostId;
    stops++;
    await cluster.stop(victim);
    time.schedule(rng.range(100, 2500), () => ctx.healed() || void cluster.restart(victim));
  }
  return stops > 0 ? { stop: stops } : {};
}
