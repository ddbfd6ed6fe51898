import { describe, expect, it } from 'vitest';
import { Gossiper } from '../../../src/node/gossip/gossiper.js';
import { alteredKeyspace } from '../../../src/node/gossip/state.js';
import { gossipMessage, type GossipAck, type GossipMessage } from '../../../src/node/gossip/messages.js';
import { gossipOps } from '../../../src/protocol/ops/gossip.js';
import { GossipCluster, nodeInfo, seeded, START_MS } from './cluster.js';

function converged(seed: number): GossipCluster {
  const cluster = new GossipCluster(10, seed);
  const rounds = cluster.roundsUntil(() => cluster.fullyKnown());
  expect(rounds).toBeLessThan(20);
  return cluster;
}

describe('gossip membership', () => {
  it('ten nodes that know only the seed addresses learn each other', () => {
    const counts: number[] = [];
    for (let seed = 1; seed <= 20; seed++) {
      const cluster = new GossipCluster(10, seed);
      counts.push(cluster.roundsUntil(() => cluster.fullyKnown()));
    }
    console.log(`10 nodes from 2 seed addresses, full membership after rounds: ${counts.join(' ')}`);
    expect(Math.max(...counts)).toBeLessThanOrEqual(10);
  });

  it('a change on one node reaches all ten within a few rounds', () => {
    const counts: number[] = [];
    for (let seed = 1; seed <= 20; seed++) {
      const cluster = converged(seed);
      const n7 = cluster.get('n7');
      expect(n7.localUpdate({ status: 'LEAVING', load: 12345 })).toBe(true);
      counts.push(
        cluster.roundsUntil(() =>
          cluster.everyoneSees('n7', (s) => s.status === 'LEAVING' && s.load === 12345),
        ),
      );
    }
    console.log(
      `10 nodes, one change seen everywhere after rounds: ${counts.join(' ')} (max ${Math.max(...counts)})`,
    );
    expect(Math.max(...counts)).toBeLessThanOrEqual(10);
  });

  it("spreads a joining node's streaming progress, which status shows", () => {
    const cluster = converged(3);
    const n4 = cluster.get('n4');
    expect(n4.localUpdate({ status: 'JOINING', streamProgress: 0.25 })).toBe(true);
    expect(n4.localUpdate({ streamProgress: 0.25 })).toBe(false);
    expect(n4.localUpdate({ streamProgress: 0.5 })).toBe(true);
    const rounds = cluster.roundsUntil(() => cluster.everyoneSees('n4', (s) => s.streamProgress === 0.5));
    expect(rounds).toBeLessThanOrEqual(10);
  });

  it('reports changed states to the driver once, and heartbeats every time they advance', () => {
    const cluster = converged(3);
    cluster.outputs.length = 0;
    cluster.get('n2').localUpdate({ tokens: ['42'] });
    cluster.roundsUntil(() => cluster.everyoneSees('n2', (s) => s.tokens[0] === '42'));
    const reportedChanged = cluster.outputs.filter((o) => o.output.changed.includes('n2')).map((o) => o.at);
    // Each of the nine others learns it exactly once.
    expect(new Set(reportedChanged).size).toBe(9);
    expect(reportedChanged.length).toBe(9);
    cluster.outputs.length = 0;
    for (let i = 0; i < 5; i++) cluster.round();
    const beats = new Set(cluster.outputs.flatMap((o) => o.output.heartbeats));
    expect(beats.size).toBe(10);
    expect(cluster.outputs.every((o) => o.output.changed.length === 0)).toBe(true);
  });

  it('sends only heartbeats once everyone holds the info, not whole states', () => {
    const cluster = converged(4);
    for (let i = 0; i < 3; i++) cluster.round();
    const a = cluster.get('n0');
    const b = cluster.get('n1');
    a.tick(cluster.nowMs + 1000);
    b.tick(cluster.nowMs + 1000);
    const reply = b.receive('n0', a.syn(), cluster.nowMs + 1000).send[0];
    expect(reply?.message.kind).toBe('ack');
    const ack = reply?.message as GossipAck;
    expect(ack.beats.map((s) => s.hostId)).toContain('n1');
    expect(ack.states).toEqual([]);
    // The receiver takes the beat: n1's newer version is now known to n0.
    const out = a.receive('n1', ack, cluster.nowMs + 1000);
    expect(out.heartbeats).toContain('n1');
    expect(a.states().get('n1')?.version).toBe(b.local().version);
  });

  it('a restarted node (new generation) replaces its old state everywhere', () => {
    const cluster = converged(5);
    const oldGeneration = cluster.get('n3').local().generation;
    cluster.down.add('n3');
    for (let i = 0; i < 3; i++) cluster.round();
    // It comes back with other tokens and a heartbeat counter starting from scratch.
    cluster.start(nodeInfo(3, { tokens: ['7'], generation: cluster.nowMs }));
    const rounds = cluster.roundsUntil(() =>
      cluster.everyoneSees('n3', (s) => s.generation > oldGeneration && s.tokens.join() === '7'),
    );
    expect(rounds).toBeLessThanOrEqual(10);
    // Its heartbeat restarted at a low count, yet it won: the generation decides.
    expect(cluster.get('n0').states().get('n3')?.heartbeat).toBeLessThan(20);
    // And the restarted node learned the cluster back.
    expect(cluster.get('n3').states().size).toBe(10);
  });

  it('stale gossip does not bring back a node that left', () => {
    const cluster = converged(6);
    const staleCopy = cluster.get('n9').states().get('n5');
    expect(staleCopy?.status).toBe('NORMAL');
    // n9 is cut off while n5 decommissions and stops.
    cluster.isolated.add('n9');
    cluster.get('n5').localUpdate({ status: 'LEFT' });
    cluster.roundsUntil(() =>
      cluster.running().every((g) => g.hostId === 'n9' || g.states().get('n5')?.status === 'LEFT'),
    );
    cluster.down.add('n5');
    // n9 still believes n5 is NORMAL; once healed it gossips that belief around.
    cluster.isolated.delete('n9');
    for (let i = 0; i < 10; i++) cluster.round();
    expect(cluster.everyoneSees('n5', (s) => s.status === 'LEFT')).toBe(true);
    // An old state replayed late, directly, changes nothing either.
    const n0 = cluster.get('n0');
    if (staleCopy === undefined) throw new Error('unreachable');
    const out = n0.applyStates([staleCopy], cluster.nowMs);
    expect(out.changed).toEqual([]);
    expect(n0.states().get('n5')?.status).toBe('LEFT');
    // Nobody gossips to a LEFT node any more.
    expect(n0.livePeers()).not.toContain('n5');
  });

  it('removenode marks a dead node LEFT everywhere, and its stale state cannot undo it', () => {
    const cluster = converged(7);
    cluster.down.add('n4');
    for (let i = 0; i < 3; i++) cluster.round();
    const n0 = cluster.get('n0');
    const stale = cluster.get('n8').states().get('n4');
    n0.markDead('n4');
    expect(n0.unreachablePeers()).toEqual(['n4']);
    expect(n0.removeNode('n4')).toBe(true);
    expect(n0.removeNode('n4')).toBe(false);
    expect(() => n0.removeNode('n0')).toThrow();
    const rounds = cluster.roundsUntil(() => cluster.everyoneSees('n4', (s) => s.status === 'LEFT'));
    expect(rounds).toBeLessThanOrEqual(10);
    if (stale === undefined) throw new Error('unreachable');
    cluster.get('n2').applyStates([stale], cluster.nowMs);
    expect(cluster.get('n2').states().get('n4')?.status).toBe('LEFT');
  });

  it('removenode wins over a fresher copy of the dead node that another node holds', () => {
    const cluster = converged(3);
    const n0 = cluster.get('n0');
    const n8 = cluster.get('n8');
    // n8 heard a few more beats of n4 than n0 did before n4 died.
    const atN8 = n8.states().get('n4');
    const atN0 = n0.states().get('n4');
    if (atN8 === undefined || atN0 === undefined) throw new Error('unreachable');
    const version = Math.max(atN8.version, atN0.version) + 5;
    n8.applyStates([{ ...atN8, version, heartbeat: atN8.heartbeat + 5 }], cluster.nowMs);
    cluster.down.add('n4');
    n0.markDead('n4');
    n0.removeNode('n4');
    const rounds = cluster.roundsUntil(() => cluster.everyoneSees('n4', (s) => s.status === 'LEFT'), 30);
    expect(rounds).toBeLessThanOrEqual(10);
  });

  it('a live node wrongly removed reasserts itself', () => {
    const cluster = converged(8);
    cluster.get('n0').removeNode('n6');
    cluster.round();
    const rounds = cluster.roundsUntil(() => cluster.everyoneSees('n6', (s) => s.status === 'NORMAL'), 30);
    expect(rounds).toBeLessThanOrEqual(20);
    expect(cluster.get('n6').local().status).toBe('NORMAL');
  });

  it('a shadow syn learns every state and leaves no trace of the newcomer at the seed', () => {
    const cluster = converged(7);
    const seed = cluster.get('n3');
    const fresh = new Gossiper({ self: nodeInfo(20), seeds: [], random: seeded(3), nowMs: cluster.nowMs });
    const ack = seed.receive('n20', fresh.shadowSyn(), cluster.nowMs).send[0]?.message as GossipAck;
    expect(ack.kind).toBe('ack');
    // The seed asks for nothing: it was told of no node.
    expect(ack.digests).toEqual([]);
    const answered = fresh.receive('n3', ack, cluster.nowMs);
    expect(answered.send).toEqual([]);
    expect(fresh.states().size).toBe(11);
    expect(seed.states().has('n20')).toBe(false);
  });

  it('a node shown a newer state of itself jumps past it and keeps its own info', () => {
    const g = new Gossiper({ self: nodeInfo(6), seeds: [], random: seeded(1), nowMs: START_MS });
    const own = g.local();
    const forged = {
      ...own,
      version: own.version + 50,
      infoVersion: own.version + 50,
      status: 'LEFT' as const,
    };
    const out = g.applyStates([forged], START_MS);
    expect(out.changed).toEqual(['n6']);
    expect(g.local().status).toBe('NORMAL');
    expect(g.local().version).toBeGreaterThan(forged.version);
    const laterIncarnation = { ...own, generation: own.generation + 1, version: 3, infoVersion: 3 };
    g.applyStates([laterIncarnation], START_MS);
    expect(g.local().generation).toBe(own.generation + 1);
    expect(g.local().version).toBeGreaterThan(3);
    // Older news of itself is ignored.
    expect(g.applyStates([own], START_MS).changed).toEqual([]);
  });

  it('keyspace definitions converge: union, and the earliest definition of a name wins', () => {
    const cluster = converged(9);
    const early = { replication: { strategy: 'simple' as const, rf: 2 }, createdAtMicros: 100 };
    const late = { replication: { strategy: 'network' as const, dcs: { dc1: 3 } }, createdAtMicros: 200 };
    const other = { replication: { strategy: 'simple' as const, rf: 1 }, createdAtMicros: 150 };
    cluster.get('n6').localUpdate({ keyspaces: { users: late } });
    cluster.get('n2').localUpdate({ keyspaces: { users: early } });
    cluster.get('n8').localUpdate({ keyspaces: { events: other } });
    const expected = {
      default: { replication: { strategy: 'simple', rf: 3 }, createdAtMicros: 0 },
      users: early,
      events: other,
    };
    const rounds = cluster.roundsUntil(() =>
      cluster
        .running()
        .every((g) => JSON.stringify(sorted(g.keyspaces())) === JSON.stringify(sorted(expected))),
    );
    console.log(`keyspace definitions converged on 10 nodes after ${rounds} rounds`);
    expect(rounds).toBeLessThanOrEqual(10);
    // The losing creator adopted the winner; a later redefinition is ignored.
    expect(cluster.get('n6').keyspaces()['users']).toEqual(early);
    expect(cluster.get('n6').localUpdate({ keyspaces: { users: late } })).toBe(false);
    // Equal creation times: the choice is still the same everywhere.
    const a = { replication: { strategy: 'simple' as const, rf: 5 }, createdAtMicros: 300 };
    const b = { replication: { strategy: 'simple' as const, rf: 4 }, createdAtMicros: 300 };
    cluster.get('n1').localUpdate({ keyspaces: { tie: a } });
    cluster.get('n3').localUpdate({ keyspaces: { tie: b } });
    cluster.roundsUntil(() => cluster.running().every((g) => g.keyspaces()['tie'] !== undefined), 20);
    for (let i = 0; i < 10; i++) cluster.round();
    const ties = new Set(cluster.running().map((g) => JSON.stringify(g.keyspaces()['tie'])));
    expect(ties.size).toBe(1);
  });

  it('an alteration of a keyspace wins everywhere over the definition it alters', () => {
    const cluster = converged(5);
    const created = { replication: { strategy: 'simple' as const, rf: 1 }, createdAtMicros: 100 };
    cluster.get('n1').localUpdate({ keyspaces: { users: created } });
    cluster.roundsUntil(() => cluster.running().every((g) => g.keyspaces()['users'] !== undefined), 20);
    // Altered on a node whose clock (50) is behind the creation's: the change still outranks it.
    const altered = alteredKeyspace(created, { strategy: 'simple', rf: 3 }, 50);
    expect(altered.alteredAtMicros).toBe(101);
    cluster.get('n4').localUpdate({ keyspaces: { users: altered } });
    const rounds = cluster.roundsUntil(() =>
      cluster.running().every((g) => JSON.stringify(g.keyspaces()['users']) === JSON.stringify(altered)),
    );
    expect(rounds).toBeLessThanOrEqual(10);
    // Old news of the keyspace, as a node that missed the change may gossip it, changes nothing.
    expect(cluster.get('n2').localUpdate({ keyspaces: { users: created } })).toBe(false);
    // Two later alterations on two nodes: the later one wins, wherever it was made.
    const west = alteredKeyspace(altered, { strategy: 'network', dcs: { west: 2 } }, 300);
    const east = alteredKeyspace(altered, { strategy: 'network', dcs: { east: 2 } }, 200);
    cluster.get('n0').localUpdate({ keyspaces: { users: west } });
    cluster.get('n3').localUpdate({ keyspaces: { users: east } });
    expect(
      cluster.roundsUntil(() =>
        cluster.running().every((g) => JSON.stringify(g.keyspaces()['users']) === JSON.stringify(west)),
      ),
    ).toBeLessThanOrEqual(10);
    // A second creation of the name, later than the first, is still refused whatever its replication.
    const recreated = { replication: { strategy: 'simple' as const, rf: 2 }, createdAtMicros: 400 };
    expect(cluster.get('n1').localUpdate({ keyspaces: { users: recreated } })).toBe(false);
  });
});

describe('gossip targets', () => {
  it('dials every round a seed address it cannot resolve while it knows nobody', () => {
    const g = new Gossiper({
      self: nodeInfo(5),
      seeds: ['ws://seed:7000'],
      random: seeded(1),
      nowMs: START_MS,
    });
    for (let i = 1; i <= 5; i++) {
      const out = g.tick(START_MS + i * 1000);
      expect(out.send).toEqual([]);
      expect(out.dial.map((d) => d.address)).toEqual(['ws://seed:7000']);
      expect(out.dial[0]?.message.digests.map((d) => d.hostId)).toEqual(['n5']);
    }
  });

  it('does not gossip to itself, even when it is its own seed', () => {
    const g = new Gossiper({
      self: nodeInfo(0),
      seeds: [nodeInfo(0).address],
      random: seeded(1),
      nowMs: START_MS,
    });
    const out = g.tick(START_MS + 1000);
    expect(out.send).toEqual([]);
    expect(out.dial).toEqual([]);
  });

  it('probes unreachable peers now and then, and only them when all are down', () => {
    const cluster = converged(11);
    const n0 = cluster.get('n0');
    for (let i = 1; i < 10; i++) n0.markDead(`n${i}`);
    expect(n0.livePeers()).toEqual([]);
    const targets = new Set<string>();
    for (let i = 0; i < 20; i++) {
      for (const s of n0.tick(cluster.nowMs + i * 1000).send) targets.add(s.to);
    }
    // Unreachable ones (probability 9/1), and the seed n1 (it knows nobody live).
    expect(targets.size).toBeGreaterThan(3);
    n0.markAlive('n4');
    expect(n0.livePeers()).toEqual(['n4']);
  });

  it('reaches a seed regularly in a healthy cluster', () => {
    const cluster = converged(12);
    const n7 = cluster.get('n7');
    let toSeed = 0;
    for (let i = 0; i < 200; i++) {
      for (const s of n7.tick(cluster.nowMs + i * 1000).send) if (s.to === 'n0' || s.to === 'n1') toSeed++;
    }
    // Chosen as the random live peer 2/9 of the time, plus the seed rule's extra rounds.
    expect(toSeed).toBeGreaterThan(200 * (2 / 9));
  });
});

describe('gossip wire', () => {
  it('what a gossiper sends passes the wire schemas and round-trips through them', () => {
    const cluster = converged(13);
    const sent: GossipMessage[] = [];
    const a = cluster.get('n0');
    const b = cluster.get('n5');
    const syn = a.tick(cluster.nowMs + 1000).send[0]?.message;
    if (syn === undefined) throw new Error('no syn');
    sent.push(syn);
    const fresh = new Gossiper({ self: nodeInfo(20), seeds: [], random: seeded(2), nowMs: cluster.nowMs });
    const ack = b.receive('n20', fresh.syn(), cluster.nowMs).send[0]?.message;
    if (ack === undefined) throw new Error('no ack');
    sent.push(ack);
    const ack2 = fresh.receive('n5', ack, cluster.nowMs).send[0]?.message;
    if (ack2 === undefined) throw new Error('no ack2');
    sent.push(ack2);
    expect(fresh.states().size).toBe(11);
    for (const m of sent) {
      expect(gossipMessage.parse(m)).toEqual(m);
      const op = gossipOps[`gossip_${m.kind}`];
      expect(op.request.safeParse(m).success).toBe(true);
    }
  });

  it('rejects malformed gossip at the schema', () => {
    expect(
      gossipOps.gossip_syn.request.safeParse({
        kind: 'syn',
        digests: [{ hostId: '', generation: 1, version: 1 }],
      }).success,
    ).toBe(false);
    expect(
      gossipOps.gossip_syn.request.safeParse({
        kind: 'syn',
        digests: [{ hostId: 'a', generation: -1, version: 1 }],
      }).success,
    ).toBe(false);
    const state = {
      ...new Gossiper({ self: nodeInfo(1), seeds: [], random: seeded(1), nowMs: START_MS }).local(),
    };
    expect(
      gossipOps.gossip_ack2.request.safeParse({
        kind: 'ack2',
        states: [{ ...state, status: 'GONE' }],
        beats: [],
      }).success,
    ).toBe(false);
    expect(
      gossipOps.gossip_ack2.request.safeParse({
        kind: 'ack2',
        states: [{ ...state, tokens: ['x'] }],
        beats: [],
      }).success,
    ).toBe(false);
    expect(
      gossipOps.gossip_ack2.request.safeParse({ kind: 'ack2', states: [state], beats: [] }).success,
    ).toBe(true);
  });

  it('ignores a state whose generation lies absurdly far in the future', () => {
    const g = new Gossiper({ self: nodeInfo(0), seeds: [], random: seeded(1), nowMs: START_MS });
    const other = new Gossiper({
      self: nodeInfo(1, { generation: START_MS * 10 }),
      seeds: [],
      random: seeded(1),
      nowMs: START_MS,
    });
    expect(g.applyStates([other.local()], START_MS).changed).toEqual([]);
    expect(g.states().has('n1')).toBe(false);
  });
});

function sorted(o: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}
