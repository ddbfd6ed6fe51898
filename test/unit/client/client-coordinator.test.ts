import { describe, expect, it } from 'vitest';
import type { Cell } from '../../../src/protocol/cell.js';
import { RingkvError } from '../../../src/protocol/errors.js';
import type { OpName, OpRequest, OpResult } from '../../../src/protocol/ops/index.js';
import { tokenOf } from '../../../src/ring/partitioner.js';
import { ClientCoordinator } from '../../../src/client/client-coordinator.js';
import { ClusterTopology, type TopologyDoc } from '../../../src/client/topology.js';
import type { SpeculativeRetry } from '../../../src/client/api.js';

const enc = new TextEncoder();

function topology(down: string[] = []): ClusterTopology {
  const ids = ['n1', 'n2', 'n3', 'n4'];
  const doc: TopologyDoc = {
    clusterName: 'ringkv',
    hostId: 'n1',
    nodes: ids.map((hostId, i) => ({
      hostId,
      address: `ws://127.0.0.1:${7401 + i}`,
      dc: 'dc1',
      rack: 'rack1',
      tokens: [String(BigInt(i) * 4_000_000_000_000_000_000n - 6_000_000_000_000_000_000n)],
      status: 'NORMAL' as const,
      state: down.includes(hostId) ? ('DOWN' as const) : ('UP' as const),
      load: 0,
    })),
    keyspaces: { ks: { strategy: 'simple', rf: 3 } },
  };
  return new ClusterTopology(doc);
}

/**
 * Replicas in memory. `hang` ones never answer, so the request times out as the client's
 * connection makes it; `fail` ones refuse at once, as an unreachable node does.
 */
function fakeCluster(opts: { hang?: string[]; fail?: string[] } = {}) {
  const cells = new Map<string, Cell>();
  const hints: { holder: string; target: string }[] = [];
  const calls: { to: string; op: OpName }[] = [];
  async function send<K extends OpName>(
    to: string,
    op: K,
    body: OpRequest<K>,
    timeoutMs: number,
  ): Promise<OpResult<K>> {
    calls.push({ to, op });
    if (opts.hang?.includes(to)) {
      return new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new RingkvError('OVERLOADED', `no answer from ${to} within ${timeoutMs} ms`)),
          timeoutMs,
        ),
      );
    }
    if (opts.fail?.includes(to)) throw new RingkvError('NO_HOST_AVAILABLE', `cannot reach ${to}`);
    await Promise.resolve();
    if (op === 'replica_write') {
      const b = body as OpRequest<'replica_write'>;
      cells.set(to, b.cell);
      return {} as OpResult<K>;
    }
    if (op === 'replica_read') {
      const cell = cells.get(to);
      return (cell ? { cell } : {}) as OpResult<K>;
    }
    if (op === 'hint_store') {
      hints.push({ holder: to, target: (body as OpRequest<'hint_store'>).target });
      return { stored: true } as OpResult<K>;
    }
    throw new Error(`unexpected ${op}`);
  }
  return { cells, hints, calls, send };
}

function coordinator(
  cluster: ReturnType<typeof fakeCluster>,
  topo: ClusterTopology,
  speculativeRetry: SpeculativeRetry = { kind: 'never' },
): ClientCoordinator {
  return new ClientCoordinator({
    topology: () => topo,
    localDc: 'dc1',
    timeoutMs: 200,
    speculativeRetry,
    send: cluster.send,
    hintHolders: (target) =>
      topo.nodes.filter((n) => n.state === 'UP' && n.hostId !== target).map((n) => n.hostId),
  });
}

const key = enc.encode('k');
const put = (cl: OpRequest<'mutate'>['cl']): OpRequest<'mutate'> => ({
  keyspace: 'ks',
  key,
  value: enc.encode('v'),
  cl,
  trace: true,
});

describe('ClientCoordinator', () => {
  it('writes to every replica itself and answers as the client', async () => {
    const cluster = fakeCluster();
    const r = await coordinator(cluster, topology()).mutate(put('ALL'));
    expect(r.coordinator).toBe('client');
    expect(r.acks).toHaveLength(3);
    expect(cluster.calls.filter((c) => c.op === 'replica_write').map((c) => c.to)).toHaveLength(3);
    expect(r.trace?.every((e) => e.node === 'client')).toBe(true);
  });

  it('fails fast with UNAVAILABLE when too few replicas are known UP', async () => {
    const topo = topology();
    const replicas = topo.replicas('ks', tokenOf(key)).map((n) => n.hostId);
    const cluster = fakeCluster();
    const err = await coordinator(cluster, topology(replicas.slice(0, 2)))
      .mutate(put('QUORUM'))
      .catch((e: unknown) => e);
    // Three replicas exist: a node is down, not missing from the cluster.
    expect(err).toMatchObject({ code: 'UNAVAILABLE', details: { required: 2, alive: 1, replicas: 3 } });
    expect(cluster.calls).toHaveLength(0);
  });

  it('asks a live node to hold the hint for a replica that did not take the write', async () => {
    const topo = topology();
    const [, missing] = topo.replicas('ks', tokenOf(key)).map((n) => n.hostId) as [string, string];
    const cluster = fakeCluster({ fail: [missing] });
    const err = await coordinator(cluster, topo)
      .mutate(put('ALL'))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'WRITE_TIMEOUT', details: { received: 2, required: 3 } });
    expect(cluster.hints).toHaveLength(1);
    expect(cluster.hints[0]?.target).toBe(missing);
    expect(cluster.hints[0]?.holder).not.toBe(missing);
  });

  it('counts a stored hint as an ack at ANY when every replica is down', async () => {
    const topo = topology();
    const replicas = topo.replicas('ks', tokenOf(key)).map((n) => n.hostId);
    const cluster = fakeCluster();
    const r = await coordinator(cluster, topology(replicas)).mutate(put('ANY'));
    expect(r.acks).toEqual([]);
    expect(r.hinted.sort()).toEqual([...replicas].sort());
    expect(new Set(cluster.hints.map((h) => h.holder)).size).toBe(1);
  });

  it('a read asks another replica when the first has not answered within the retry delay', async () => {
    const topo = topology();
    const cluster = fakeCluster();
    const cc = coordinator(cluster, topo, { kind: 'fixed', ms: 5 });
    await cc.mutate(put('ALL'));
    // A coordinator that has measured nothing asks replicas in ring order: the first one stalls.
    const first = topo.replicas('ks', tokenOf(key))[0]?.hostId as string;
    const stalled = fakeCluster({ hang: [first] });
    for (const [id, cell] of cluster.cells) stalled.cells.set(id, cell);
    const r = await coordinator(stalled, topo).read({
      keyspace: 'ks',
      key,
      cl: 'ONE',
      trace: true,
      speculativeRetryMs: 5,
    });
    expect(r.found).toBe(true);
    expect(r.replicas).not.toContain(first);
    expect(r.trace?.some((e) => e.event.startsWith('speculative retry'))).toBe(true);
  });

  it('without speculative retry another replica is asked only once the stalled one timed out', async () => {
    const topo = topology();
    const cluster = fakeCluster();
    await coordinator(cluster, topo).mutate(put('ALL'));
    const first = topo.replicas('ks', tokenOf(key))[0]?.hostId as string;
    const stalled = fakeCluster({ hang: [first] });
    for (const [id, cell] of cluster.cells) stalled.cells.set(id, cell);
    const r = await coordinator(stalled, topo).read({
      keyspace: 'ks',
      key,
      cl: 'ONE',
      trace: true,
      speculativeRetryMs: 0,
    });
    const events = (r.trace ?? []).map((e) => e.event);
    expect(events.some((e) => e.startsWith('speculative retry'))).toBe(false);
    const timedOut = events.findIndex((e) => e.startsWith(`no reply from ${first}`));
    const replaced = events.findIndex((e) => e.includes(`(replacing ${first})`));
    expect(timedOut).toBeGreaterThanOrEqual(0);
    expect(replaced).toBeGreaterThan(timedOut);
  });

  it('reconciles replies, repairs the stale replica, and says why the winner won', async () => {
    const topo = topology();
    const [a, b, c] = topo.replicas('ks', tokenOf(key)).map((n) => n.hostId) as [string, string, string];
    const cluster = fakeCluster();
    cluster.cells.set(a, { value: enc.encode('old'), timestamp: 10 });
    cluster.cells.set(b, { value: enc.encode('new'), timestamp: 20 });
    cluster.cells.set(c, { value: null, timestamp: 20 });
    const r = await coordinator(cluster, topo).read({ keyspace: 'ks', key, cl: 'ALL', trace: true });
    expect(r.found).toBe(false);
    expect(r.repaired.sort()).toEqual([a, b].sort());
    const line = r.trace?.find((e) => e.event.startsWith('reconciled'))?.event ?? '';
    expect(line).toContain(`tombstone @20 from ${c} wins`);
    expect(line).toContain(`beats ${a}'s 3 bytes @10 (higher timestamp)`);
    expect(line).toContain(`beats ${b}'s 3 bytes @20 (equal timestamp, a tombstone beats a live value)`);
  });
});
