import { seededUniform } from '../../../src/bench/random.js';
import { Gossiper, type GossipOutput, type LocalNodeInfo } from '../../../src/node/gossip/gossiper.js';
import type { EndpointState, GossipMessage } from '../../../src/node/gossip/messages.js';

/** Seeded, so every run exchanges the same messages. */
export const seeded = seededUniform;

export const START_MS = 1_700_000_000_000;

export function nodeInfo(i: number, extra: Partial<LocalNodeInfo> = {}): LocalNodeInfo {
  return {
    hostId: `n${i}`,
    address: `ws://10.0.0.${i}:7000`,
    dc: 'dc1',
    rack: `r${i % 3}`,
    tokens: [String(i * 1000), String(i * 1000 + 500)],
    status: 'NORMAL',
    load: 0,
    keyspaces: { default: { replication: { strategy: 'simple', rf: 3 }, createdAtMicros: 0 } },
    ...extra,
  };
}

/**
 * Gossipers wired directly to each other: every round each running node ticks, and messages are
 * delivered at once, round trips included, unless a node is down or cut off.
 */
export class GossipCluster {
  readonly nodes = new Map<string, Gossiper>();
  /** Nodes that neither tick nor receive (stopped, SIGSTOPped). */
  readonly down = new Set<string>();
  /** Nodes whose messages to and from everyone are lost. */
  readonly isolated = new Set<string>();
  readonly random: () => number;
  nowMs = START_MS;
  delivered = 0;
  /** Every output of receive(), for tests that look at what the driver would see. */
  readonly outputs: { at: string; output: GossipOutput }[] = [];

  constructor(
    readonly size: number,
    seed: number,
    readonly seedAddresses: readonly string[] = [nodeInfo(0).address, nodeInfo(1).address],
  ) {
    this.random = seeded(seed);
    for (let i = 0; i < size; i++) this.start(nodeInfo(i));
  }

  start(info: LocalNodeInfo): Gossiper {
    const gossiper = new Gossiper({
      self: info,
      seeds: this.seedAddresses,
      random: this.random,
      nowMs: this.nowMs,
    });
    this.nodes.set(info.hostId, gossiper);
    this.down.delete(info.hostId);
    return gossiper;
  }

  get(hostId: string): Gossiper {
    const g = this.nodes.get(hostId);
    if (g === undefined) throw new Error(`no node ${hostId}`);
    return g;
  }

  running(): Gossiper[] {
    return [...this.nodes.values()].filter((g) => !this.down.has(g.hostId));
  }

  round(): void {
    this.nowMs += 1000;
    const queue: { from: string; to: string; message: GossipMessage }[] = [];
    for (const g of this.running()) {
      const out = g.tick(this.nowMs);
      for (const s of out.send) queue.push({ from: g.hostId, to: s.to, message: s.message });
      for (const d of out.dial) {
        const target = [...this.nodes.values()].find((n) => n.local().address === d.address);
        if (target !== undefined) queue.push({ from: g.hostId, to: target.hostId, message: d.message });
      }
    }
    while (queue.length > 0) {
      const m = queue.shift();
      if (m === undefined) break;
      if (this.down.has(m.to) || this.isolated.has(m.to) || this.isolated.has(m.from)) continue;
      const target = this.nodes.get(m.to);
      if (target === undefined) continue;
      this.delivered++;
      const out = target.receive(m.from, m.message, this.nowMs);
      this.outputs.push({ at: m.to, output: out });
      for (const s of out.send) queue.push({ from: m.to, to: s.to, message: s.message });
    }
  }

  /** Rounds until `done` holds (checked before each round), at most `max`; the count, or Infinity. */
  roundsUntil(done: () => boolean, max = 100): number {
    for (let r = 0; r <= max; r++) {
      if (done()) return r;
      this.round();
    }
    return Infinity;
  }

  /** Whether every running node sees `hostId` satisfying `predicate`. */
  everyoneSees(hostId: string, predicate: (state: Readonly<EndpointState>) => boolean): boolean {
    return this.running().every((g) => {
      const s = g.states().get(hostId);
      return s !== undefined && predicate(s);
    });
  }

  /** Whether every running node knows every node (LEFT ones included). */
  fullyKnown(): boolean {
    return this.running().every((g) => g.states().size === this.nodes.size);
  }
}
