import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TraceEvent } from '../../src/client/api.js';
import type { RingkvClient } from '../../src/client/client.js';
import { viewFrom } from '../../src/cli/convergence.js';
import { CONSISTENCY_LEVELS, type ConsistencyLevel } from '../../src/protocol/consistency.js';
import { RingkvError } from '../../src/protocol/errors.js';
import { runCli, TestCluster, until } from '../support/cluster.js';
import { rejectionOf } from '../support/errors.js';
import { replicasOf } from './support/replicas.js';

/** Five nodes, and a keyspace with RF 2, so that most nodes are not replicas of a given key. */
const NODES = 5;
const KS2 = 'rf2';
const KS3 = 'default';

/** The coordinator a client-side trace names, or 'client' when the client coordinated. */
function coordinatorIn(trace: readonly TraceEvent[]): string {
  for (const e of trace) {
    const m = /^coordinator (\S+) \(ws:/.exec(e.event);
    if (e.node === 'client' && m) return m[1] as string;
  }
  return 'client';
}

/**
 * Network hops from the client to each replica a write was sent to, counted from the trace: one
 * to the coordinator, and one more from it to each replica other than itself.
 */
function hopsToReplicas(trace: readonly TraceEvent[]): Map<string, number> {
  const coordinator = coordinatorIn(trace);
  const hops = new Map<string, number>();
  for (const e of trace) {
    const m = /^sending mutation to (\S+)$/.exec(e.event);
    if (!m) continue;
    const replica = m[1] as string;
    if (e.node === 'client') hops.set(replica, 1);
    else hops.set(replica, 1 + (replica === coordinator ? 0 : 1));
  }
  return hops;
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function inWaves<T>(count: number, width: number, work: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i += width) {
    out.push(
      ...(await Promise.all(Array.from({ length: Math.min(width, count - i) }, (_, j) => work(i + j)))),
    );
  }
  return out;
}

describe('the client against five nodes', () => {
  let c: TestCluster;
  let client: RingkvClient;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  beforeAll(async () => {
    c = new TestCluster();
    await c.start(NODES);
    client = await c.client();
    // The client waits until every node knows the new keyspace.
    await client.createKeyspace(KS2, { strategy: 'simple', rf: 2 });
  }, 60_000);

  afterAll(async () => {
    await c.stopAll();
  });

  it('token-aware routing has a replica of each key coordinate it; round-robin does not', async () => {
    const token = await c.client({ route: 'token' });
    for (let i = 0; i < 20; i++) {
      const key = `token-${i}`;
      const replicas = replicasOf(token, KS2, key);
      expect(replicas).toHaveLength(2);
      const put = await token.put(key, 'v', { keyspace: KS2, cl: 'ONE', trace: true });
      expect(replicas).toContain(put.coordinator);
      expect(coordinatorIn(put.trace ?? [])).toBe(put.coordinator);
      // Coordinated by a replica: two hops at most, and none for the coordinator's own copy.
      expect(hopsToReplicas(put.trace ?? []).get(put.coordinator)).toBe(1);
      const got = await token.get(key, { keyspace: KS2, cl: 'ONE', trace: true });
      expect(replicas).toContain(got.coordinator);
    }
    // Round-robin goes around every node, replicas or not.
    const rr = await c.client({ route: 'rr' });
    const coordinators = new Set<string>();
    for (let i = 0; i < NODES; i++) {
      coordinators.add((await rr.put('token-0', 'v', { keyspace: KS2, cl: 'ONE' })).coordinator);
    }
    expect(coordinators.size).toBe(NODES);
  });

  it('a client-coordinated write reaches every replica with one hop fewer', async () => {
    const viaNode = await c.client({ route: 'rr' });
    const viaClient = await c.client({ coordination: 'client' });
    for (let i = 0; i < 5; i++) {
      const key = `hops-${i}`;
      const replicas = replicasOf(viaClient, KS2, key).sort();
      const coordinated = await viaNode.put(key, 'a', { keyspace: KS2, cl: 'ALL', trace: true });
      const direct = await viaClient.put(key, 'b', { keyspace: KS2, cl: 'ALL', trace: true });
      const viaNodeHops = hopsToReplicas(coordinated.trace ?? []);
      const directHops = hopsToReplicas(direct.trace ?? []);
      expect([...viaNodeHops.keys()].sort()).toEqual(replicas);
      expect([...directHops.keys()].sort()).toEqual(replicas);
      // RF 2: at least one replica is not the coordinator, two hops away; the client reaches all in one.
      expect(Math.max(...viaNodeHops.values())).toBe(2);
      expect(Math.max(...directHops.values())).toBe(1);
      expect(direct.coordinator).toBe('client');
      expect(direct.acks.sort()).toEqual(replicas);
      expect((direct.trace ?? []).every((e) => e.node === 'client')).toBe(true);
      // Every replica's ack is in the trace with its latency.
      for (const r of replicas) {
        expect(direct.trace?.some((e) => new RegExp(`^ack from ${r} after [\\d.]+ ms$`).test(e.event))).toBe(
          true,
        );
      }
    }
  });

  it('--coordination client writes and reads at every consistency level', async () => {
    const cc = await c.client({ coordination: 'client' });
    for (const cl of CONSISTENCY_LEVELS) {
      const key = `cl-${cl}`;
      const put = await cc.put(key, `value at ${cl}`, { keyspace: KS3, cl });
      expect(put.coordinator).toBe('client');
      expect(put.acks.length).toBeGreaterThanOrEqual(cl === 'ANY' ? 0 : 1);
      const readCl: ConsistencyLevel = cl === 'ANY' ? 'ONE' : cl;
      // Levels whose reads and writes need not overlap (R + W <= RF) see the write once it has landed.
      await until(`a read at ${readCl} sees the write at ${cl}`, async () => {
        const got = await cc.get(key, { keyspace: KS3, cl: readCl });
        return got.found && got.value === `value at ${cl}`;
      });
      await cc.del(key, { keyspace: KS3, cl });
      await until(`a read at ${readCl} sees the delete at ${cl}`, async () => {
        return !(await cc.get(key, { keyspace: KS3, cl: readCl })).found;
      });
    }
    // The same UNAVAILABLE and argument checks as a coordinating node.
    const unavailable = await cc
      .put('cl-three', 'x', { keyspace: KS2, cl: 'THREE' })
      .catch((e: unknown) => e);
    expect(unavailable).toBeInstanceOf(RingkvError);
    expect((unavailable as RingkvError).code).toBe('UNAVAILABLE');
    expect((unavailable as RingkvError).details).toMatchObject({ required: 3, alive: 2 });
    const anyRead = await cc.get('cl-any', { keyspace: KS3, cl: 'ANY' }).catch((e: unknown) => e);
    expect((anyRead as RingkvError).code).toBe('INVALID_REQUEST');
  });

  it('the CLI coordinates from the client and prints the trace', async () => {
    const flags = ['--node', c.addresses().join(','), '--coordination', 'client', '--json'];
    const put = await runCli(['put', 'cli-key', 'cli-value', '--cl', 'quorum', '--trace', ...flags]);
    expect(put.code, put.stderr).toBe(0);
    const written = JSON.parse(put.stdout) as { coordinator: string; acks: string[]; trace: TraceEvent[] };
    expect(written.coordinator).toBe('client');
    expect(written.acks.length).toBeGreaterThanOrEqual(2);
    expect(written.trace.some((e) => e.event.startsWith('ack from '))).toBe(true);
    const get = await runCli([
      'get',
      'cli-key',
      '--cl',
      'quorum',
      '--trace',
      '--speculative-retry',
      '50ms',
      ...flags,
    ]);
    expect(get.code, get.stderr).toBe(0);
    const read = JSON.parse(get.stdout) as { value: string; trace: TraceEvent[] };
    expect(read.value).toBe('cli-value');
    expect(read.trace.some((e) => e.event.startsWith('reconciled'))).toBe(true);
  });

  it('a client-coordinated read reconciles and repairs, and the trace says which cell won and why', async () => {
    const cc = await c.client({ coordination: 'client' });
    const key = 'reconcile';
    const [stale, fresh] = replicasOf(cc, KS2, key) as [string, string];
    const enc = new TextEncoder();
    await cc.sendTo(stale, 'replica_write', {
      keyspace: KS2,
      key: enc.encode(key),
      cell: { value: enc.encode('old'), timestamp: 1_000 },
    });
    await cc.sendTo(fresh, 'replica_write', {
      keyspace: KS2,
      key: enc.encode(key),
      cell: { value: enc.encode('new'), timestamp: 2_000 },
    });
    const got = await cc.get(key, { keyspace: KS2, cl: 'ALL', trace: true });
    expect(got.value).toBe('new');
    expect(got.repaired).toEqual([stale]);
    const events = (got.trace ?? []).map((e) => e.event);
    expect(events.some((e) => e.includes(`wins; beats ${stale}'s`) && e.includes('higher timestamp'))).toBe(
      true,
    );
    expect(events.some((e) => e.startsWith(`read repair of ${stale} done`))).toBe(true);
    expect(
      (await cc.sendTo(stale, 'replica_read', { keyspace: KS2, key: enc.encode(key) })).cell?.timestamp,
    ).toBe(2_000);
  });

  it('latency-aware routing moves away from a slow node and back when it recovers', async () => {
    // Long enough that a skipped node is tried again at most once while the 80 reads of the slow
    // phase run, even on a machine so busy that they take a second or two.
    const lat = await c.client({ route: 'latency', latencyRetryPeriodMs: 2000 });
    const slow = c.nodes[NODES - 1];
    if (!slow?.child) throw new Error('no node to slow down');
    // A key the slow node does not hold, so only coordinating through it is slow.
    let key = '';
    for (let i = 0; ; i++) {
      key = `latency-${i}`;
      if (!replicasOf(lat, KS2, key).includes(slow.hostId)) break;
    }
    await lat.put(key, 'v', { keyspace: KS2, cl: 'ALL' });
    const coordinators = async (n: number) => {
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push((await lat.get(key, { keyspace: KS2, cl: 'ONE' })).coordinator);
      return out;
    };
    const before = await coordinators(40);
    expect(before).toContain(slow.hostId);

    // Stalls of up to 30 ms, on and off, as a node in long GC pauses.
    let stopped = false;
    const toggler = setInterval(() => {
      stopped = !stopped;
      slow.child?.kill(stopped ? 'SIGSTOP' : 'SIGCONT');
    }, 30);
    let during: string[];
    try {
      await coordinators(20); // it takes a slow answer or two to notice
      during = await coordinators(60);
    } finally {
      clearInterval(toggler);
      slow.child.kill('SIGCONT');
    }
    const fairShare = during.length / NODES;
    const slowShare = during.filter((id) => id === slow.hostId).length;
    expect(slowShare).toBeLessThan(fairShare / 2);

    // Back to normal: after the retry period it is tried again and keeps its share.
    await until('the recovered node coordinates again', async () => {
      await sleep(100);
      return (await coordinators(20)).filter((id) => id === slow.hostId).length >= 2;
    });
    console.log(
      `latency-aware routing: slow node coordinated ${before.filter((id) => id === slow.hostId).length}/${before.length} reads before, ${slowShare}/${during.length} while slow`,
    );
  });

  it('speculative retry keeps reads at ONE answering with a stalled replica (p99 printed)', async () => {
    const outcomes: Record<string, { answered: number; timedOut: number }> = {};
    for (const mode of ['never', '99p'] as const) {
      const reader = await c.client({
        coordination: 'client',
        timeoutMs: 1500,
        speculativeRetry: mode === 'never' ? { kind: 'never' } : { kind: 'percentile', p: 99 },
      });
      const keys = Array.from({ length: 8 }, (_, i) => `spec-${i}`);
      for (const k of keys) await reader.put(k, k, { keyspace: KS3, cl: 'ALL' });
      // Enough samples for every replica's 99th percentile.
      for (let i = 0; i < 60; i++)
        await reader.get(keys[i % keys.length] as string, { keyspace: KS3, cl: 'ALL' });
      // Stall the replica the client would ask first.
      const probe = await reader.get(keys[0] as string, { keyspace: KS3, cl: 'ONE', trace: true });
      const asking = probe.trace?.find((e) => e.event.startsWith('asking'))?.event ?? '';
      const node = c.nodes.find((n) => n.hostId === /^asking (\S+) /.exec(asking)?.[1]);
      if (!node?.child) throw new Error(`no node process for "${asking}"`);
      const latencies: number[] = [];
      const outcome = { answered: 0, timedOut: 0 };
      node.child.kill('SIGSTOP');
      try {
        await inWaves(64, 8, async (i) => {
          const started = performance.now();
          try {
            const got = await reader.get(keys[i % keys.length] as string, { keyspace: KS3, cl: 'ONE' });
            expect(got.found).toBe(true);
            outcome.answered++;
          } catch (e) {
            // Without a retry the stalled replica uses up the read's whole deadline.
            if (!(e instanceof RingkvError) || e.code !== 'READ_TIMEOUT') throw e;
            outcome.timedOut++;
          }
          latencies.push(performance.now() - started);
        });
      } finally {
        node.child.kill('SIGCONT');
      }
      outcomes[mode] = outcome;
      console.log(
        `reads at ONE, one replica stalled, --speculative-retry ${mode}: p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms; ${outcome.answered} answered, ${outcome.timedOut} READ_TIMEOUT (64 reads, 8 at a time, timeout 1500 ms)`,
      );
      await until('the stalled node is UP again', async () => {
        const s = await client.status(KS3);
        return s.nodes.every((n) => n.state === 'UP');
      });
    }
    expect(outcomes['99p']).toEqual({ answered: 64, timedOut: 0 });
  });

  it('a replica that misses a client-coordinated write gets a hint held by a live node', async () => {
    const cc = await c.client({ coordination: 'client' });
    const key = 'hinted';
    const [target] = replicasOf(cc, KS2, key) as [string];
    const node = c.nodes.find((n) => n.hostId === target);
    if (!node) throw new Error('no node');
    // Killed, and not yet known DOWN: the write is sent to it and fails.
    await c.kill(node);
    // ALL cannot be met, so the write waits for the hint before it fails.
    const failed = await cc.put(key, 'v', { keyspace: KS2, cl: 'ALL', trace: true }).catch((e: unknown) => e);
    expect((failed as RingkvError).code).toBe('WRITE_TIMEOUT');
    const trace = (failed as RingkvError).details['trace'] as TraceEvent[];
    expect(trace.some((e) => e.event.startsWith(`hint stored for ${target}`))).toBe(true);
    const { hints } = await cc.hints();
    expect(hints.some((h) => h.target === target && h.holder !== target && h.count >= 1)).toBe(true);
    // The live replica took it, so a read at ONE finds it.
    expect((await cc.get(key, { keyspace: KS2, cl: 'ONE' })).value).toBe('v');
  });

  /**
   * A key of KS2 both of whose replicas run, in ring order: the first to stay up, the second to
   * stall (tests SIGSTOP it, so that it is not yet DOWN to anyone). Returns once every running
   * node sees the others UP: a node an earlier test stalled may still be DOWN to some for a few
   * gossip rounds after SIGCONT, and a coordinator that counts it out refuses at once
   * (UNAVAILABLE) instead of meeting the stall.
   */
  async function keyToStall(prefix: string) {
    const up = c.running();
    const ids = new Set(up.map((n) => n.hostId));
    let key = '';
    for (let i = 0; !key; i++) {
      if (replicasOf(client, KS2, `${prefix}-${i}`).every((r) => ids.has(r))) key = `${prefix}-${i}`;
    }
    const [liveId, stalledId] = replicasOf(client, KS2, key) as [string, string];
    const live = up.find((n) => n.hostId === liveId);
    const stalled = up.find((n) => n.hostId === stalledId);
    if (!stalled?.child || !live) throw new Error('no stalled node');
    await until('every running node sees the others UP', async () => {
      for (const n of up) {
        const view = await viewFrom(n.address, { clusterName: 'ringkv' });
        if (!up.every((o) => view.some((v) => v.hostId === o.hostId && v.state === 'UP'))) return false;
      }
      return true;
    });
    return { key, up, live, stalled: { ...stalled, child: stalled.child } };
  }

  it('a CLI write the client coordinated leaves a hint for a stalled replica before the CLI exits', async () => {
    const { key, up, live, stalled } = await keyToStall('stall');
    const stalledId = stalled.hostId;
    const admin = await c.client({ contactPoints: [live.address] });
    const flags = ['--node', up.map((n) => n.address).join(','), '--coordination', 'client'];
    stalled.child.kill('SIGSTOP');
    try {
      // Answered at ONE by the other replica; the stalled one's write times out after the answer.
      const put = await runCli([
        'put',
        key,
        'v',
        '--keyspace',
        KS2,
        '--cl',
        'one',
        '--timeout',
        '1000',
        ...flags,
      ]);
      expect(put.code, put.stderr).toBe(0);
      const { hints } = await admin.hints();
      expect(hints.some((h) => h.target === stalledId && h.holder !== stalledId && h.count >= 1)).toBe(true);
    } finally {
      stalled.child.kill('SIGCONT');
    }
  });

  it('a new client whose first choice of coordinator is stalled gives it a quarter of the timeout, then goes on', async () => {
    const { key, live: first, stalled: second } = await keyToStall('first');
    if (!first.child) throw new Error('no process for the first replica');
    // The key's first replica, which a token-aware client dials first, accepts the TCP connection
    // (the kernel does) and never finishes the handshake.
    first.child.kill('SIGSTOP');
    try {
      const fresh = await c.client({ contactPoints: [second.address], timeoutMs: 2000 });
      const put = await fresh.put(key, 'v', { keyspace: KS2, cl: 'ONE', trace: true });
      expect(put.acks).toEqual([second.hostId]);
      const events = (put.trace ?? []).map((e) => e.event);
      expect(events).toContainEqual(
        `cannot reach ${first.hostId} (${first.address}): no handshake within 500 ms`,
      );
      expect(events.some((e) => e.startsWith(`coordinator ${second.hostId}`))).toBe(true);
    } finally {
      first.child.kill('SIGCONT');
    }
  });

  it('a write whose coordinator dies with it in flight says it may have been applied', async () => {
    // One replica per key, so that token-aware routing has one coordinator to choose.
    await client.createKeyspace('rf1', { strategy: 'simple', rf: 1 });
    const { up } = await keyToStall('lost');
    await until('the client places keys of rf1', async () => {
      await client.refreshTopology();
      return replicasOf(client, 'rf1', 'lost-0').length === 1;
    });
    // A key whose replica runs: an earlier test left a node dead.
    let key = '';
    for (let i = 0; !key; i++) {
      const replica = replicasOf(client, 'rf1', `lost-${i}`)[0];
      if (up.some((n) => n.hostId === replica)) key = `lost-${i}`;
    }
    const coordinator = up.find((n) => n.hostId === replicasOf(client, 'rf1', key)[0]);
    if (!coordinator?.child) throw new Error('no process for the replica');
    const writer = await c.client({ timeoutMs: 10_000 });
    // Over a connection already open: the write is sent, not held up by a handshake.
    await writer.put(key, 'v1', { keyspace: 'rf1', cl: 'ONE' });
    coordinator.child.kill('SIGSTOP');
    try {
      const failed = rejectionOf(writer.put(key, 'v2', { keyspace: 'rf1', cl: 'ONE' }));
      await sleep(300);
      await c.kill(coordinator);
      const e = await failed;
      expect(e.code).toBe('NO_HOST_AVAILABLE');
      expect(e.message).toBe(
        `the connection to ${coordinator.address} closed (close code 1006), with the write in flight: it may have been applied`,
      );
      expect(e.details['inFlight']).toBe(true);
    } finally {
      await c.restart(coordinator);
    }
  });

  it("refuses a value past the nodes' limit itself, and the requests beside it go through", async () => {
    const fresh = await c.client();
    const huge = new Uint8Array(2 * 1024 * 1024);
    // Sent, its frame would have made the node close the connection under every request on it.
    const [big, ...small] = await Promise.allSettled([
      fresh.put('huge', huge, { keyspace: KS2, cl: 'ONE' }),
      ...Array.from({ length: 8 }, (_, i) => fresh.put(`beside-${i}`, 'v', { keyspace: KS2, cl: 'ONE' })),
    ]);
    expect(big?.status).toBe('rejected');
    const e = (big as PromiseRejectedResult).reason as RingkvError;
    expect(e.code).toBe('INVALID_REQUEST');
    expect(e.message).toBe(
      'the value is 2097152 bytes; the limit is 1048576 (start nodes with --max-value-bytes to raise it)',
    );
    expect(small.map((s) => s.status)).toEqual(Array(8).fill('fulfilled'));
  });

  it('a client whose first contact point is stalled connects through the next and routes around it', async () => {
    const { key, live: first, stalled: second } = await keyToStall('contact');
    if (!first.child) throw new Error('no process for the first replica');
    first.child.kill('SIGSTOP');
    try {
      // Contact points are tried in order, the next when one has not answered in a quarter of the
      // timeout; the one that did not answer is not dialled again for the first requests.
      const fresh = await c.client({ contactPoints: [first.address, second.address], timeoutMs: 2000 });
      expect(fresh.contactAddress()).toBe(second.address);
      const put = await fresh.put(key, 'v', { keyspace: KS2, cl: 'ONE', trace: true });
      expect(put.acks).toEqual([second.hostId]);
      expect((put.trace ?? []).filter((e) => e.event.includes('cannot reach'))).toEqual([]);
    } finally {
      first.child.kill('SIGCONT');
    }
  });

  it("the client's timeout reaches the coordinator: a stalled replica fails ALL in it, saying who answered", async () => {
    const { key, live, stalled } = await keyToStall('short');
    // A new client's first token-aware request goes to the key's first replica, a running one.
    const quick = () => c.client({ timeoutMs: 400 });
    stalled.child.kill('SIGSTOP');
    try {
      // The nodes wait 2000 ms for replicas; the client, 400 ms. The coordinator answers within
      // the client's time, with who acked, instead of the client giving up with no word.
      const write = await rejectionOf((await quick()).put(key, 'v', { keyspace: KS2, cl: 'ALL' }));
      expect(write.code, write.message).toBe('WRITE_TIMEOUT');
      expect(write.message).toMatch(/^ALL needed 2 acks, got 1 within 400 ms; /);
      expect(write.details['acks']).toEqual([live.hostId]);
      const read = await rejectionOf((await quick()).get(key, { keyspace: KS2, cl: 'ALL' }));
      expect(read.code, read.message).toBe('READ_TIMEOUT');
      expect(read.message).toMatch(/^ALL needed 2 replica responses, got 1 within 400 ms/);
    } finally {
      stalled.child.kill('SIGCONT');
    }
  });
  it('a client whose contact node was stopped asks another node for what the cluster knows', async () => {
    const stopped = c.running()[0];
    if (!stopped) throw new Error('no running node');
    const fresh = await c.client({ contactPoints: [stopped.address] });
    await c.kill(stopped, 'SIGTERM');
    try {
      // The contact closed saying it stops: requests about the cluster go to another node.
      const topology = await fresh.refreshTopology();
      expect(topology.nodes.find((n) => n.hostId === stopped.hostId)?.state).toBe('DOWN');
      await fresh.hints();
      expect(fresh.contactAddress()).not.toBe(stopped.address);
    } finally {
      await c.restart(stopped);
    }
  });
});
