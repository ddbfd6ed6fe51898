import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RingkvClient } from '../../src/client/client.js';
import { CONSISTENCY_LEVELS } from '../../src/protocol/consistency.js';
import { MAX_KEY_BYTES, DEFAULT_MAX_VALUE_BYTES } from '../../src/protocol/limits.js';
import type { OpResult } from '../../src/protocol/ops/index.js';
import { runCli, TestCluster, until } from '../support/cluster.js';
import { inParallel, replicasOf } from './support/replicas.js';
import { rejectionOf } from '../support/errors.js';

const ks = 'default';

describe('data path on three nodes', () => {
  // One cluster for the tests that leave it whole; the last one kills a node.
  let c: TestCluster;
  let client: RingkvClient;
  beforeAll(async () => {
    c = new TestCluster();
    await c.start(3);
    client = await c.client();
  });
  afterAll(async () => {
    await c.stopAll();
  });
  it('a put at ALL reads back at ONE through every node', async () => {
    const writer = await c.client();
    for (let i = 0; i < 20; i++) await writer.put(`all-${i}`, `value-${i}`, { keyspace: ks, cl: 'ALL' });
    for (const node of c.nodes) {
      const reader = await c.client({ contactPoints: [node.address], route: 'rr' });
      for (let i = 0; i < 20; i++) {
        const r = await reader.get(`all-${i}`, { keyspace: ks, cl: 'ONE' });
        expect(r.found).toBe(true);
        expect(r.value).toBe(`value-${i}`);
      }
    }
  });

  it('every consistency level round-trips, deletes included', async () => {
    for (const cl of CONSISTENCY_LEVELS) {
      const key = `cl-${cl}`;
      const put = await client.put(key, `v-${cl}`, { keyspace: ks, cl });
      expect(put.cl).toBe(cl);
      expect(put.timestamp).toBeGreaterThan(0);
      // A read checks the value written at ALL: a weaker write may legitimately not be there yet.
      await client.put(key, `v-${cl}`, { keyspace: ks, cl: 'ALL' });
      if (cl !== 'ANY') {
        const got = await client.get(key, { keyspace: ks, cl });
        expect(got).toMatchObject({ found: true, value: `v-${cl}`, cl });
      }
      await client.del(key, { keyspace: ks, cl: cl === 'ANY' ? 'ALL' : cl });
      await client.del(key, { keyspace: ks, cl: 'ALL' });
      if (cl !== 'ANY') expect((await client.get(key, { keyspace: ks, cl })).found).toBe(false);
    }
  });

  it('unicode keys and binary values keep every byte', async () => {
    const keys = ['ключ', '鍵🔑', 'clé avec espace', 'a\u0000b', '🧪'.repeat(100)];
    const binary = new Uint8Array(256).map((_, i) => 255 - i);
    for (const key of keys) {
      await client.put(key, `value of ${key}`, { keyspace: ks, cl: 'ALL' });
      expect(await client.get(key, { keyspace: ks, cl: 'QUORUM' })).toMatchObject({
        found: true,
        value: `value of ${key}`,
        valueEncoding: 'utf8',
      });
    }
    await client.put('binary', binary, { keyspace: ks, cl: 'ALL' });
    const got = await client.get('binary', { keyspace: ks, cl: 'ONE' });
    expect(got.valueEncoding).toBe('base64');
    expect(new Uint8Array(Buffer.from(got.value ?? '', 'base64'))).toEqual(binary);
    const binaryKey = new Uint8Array([0xff, 0xfe, 0x00, 0x80]);
    await client.put(binaryKey, 'under a binary key', { keyspace: ks, cl: 'ALL' });
    expect((await client.get(binaryKey, { keyspace: ks, cl: 'ONE' })).value).toBe('under a binary key');
  });

  it('accepts the largest key and value and refuses one byte more', async () => {
    const maxKey = 'k'.repeat(MAX_KEY_BYTES);
    await client.put(maxKey, 'x', { keyspace: ks, cl: 'ALL' });
    expect((await client.get(maxKey, { keyspace: ks, cl: 'ONE' })).value).toBe('x');
    const overKey = await rejectionOf(client.put(maxKey + 'k', 'x', { keyspace: ks, cl: 'ONE' }));
    expect(overKey.code).toBe('INVALID_REQUEST');
    const overKeyRead = await rejectionOf(client.get(maxKey + 'k', { keyspace: ks, cl: 'ONE' }));
    expect(overKeyRead.code).toBe('INVALID_REQUEST');

    const maxValue = new Uint8Array(DEFAULT_MAX_VALUE_BYTES).fill(7);
    await client.put('big', maxValue, { keyspace: ks, cl: 'ALL' });
    const got = await client.get('big', { keyspace: ks, cl: 'ONE' });
    expect(got.value?.length).toBe(DEFAULT_MAX_VALUE_BYTES);
    const overValue = await rejectionOf(
      client.put('big', new Uint8Array(DEFAULT_MAX_VALUE_BYTES + 1), { keyspace: ks, cl: 'ONE' }),
    );
    expect(overValue.code).toBe('INVALID_REQUEST');
    // The refused value changed nothing, and the node still serves.
    expect((await client.get('big', { keyspace: ks, cl: 'ALL' })).value?.length).toBe(
      DEFAULT_MAX_VALUE_BYTES,
    );
  });

  it('ringkv stats counts what each node coordinated, served as a replica and synced', async () => {
    const statsOfEveryNode = async () => {
      const r = await runCli(['stats', '--all', '--node', c.addresses()[0] ?? '', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const { nodes } = JSON.parse(r.stdout) as { nodes: OpResult<'stats'>[] };
      expect(nodes.map((n) => n.hostId).sort()).toEqual(c.nodes.map((n) => n.hostId).sort());
      return nodes;
    };
    const before = await statsOfEveryNode();
    for (let i = 0; i < 10; i++) await client.put(`stats-${i}`, 'v', { keyspace: ks, cl: 'ALL' });
    for (let i = 0; i < 5; i++) await client.get(`stats-${i}`, { keyspace: ks, cl: 'QUORUM' });
    const after = await statsOfEveryNode();
    const grew = (f: (s: OpResult<'stats'>) => number) =>
      after.reduce((n, s) => n + f(s), 0) - before.reduce((n, s) => n + f(s), 0);
    // Each request has one coordinator, and each write reaches all three replicas (RF 3).
    expect(grew((s) => s.coordinator.writes.requests)).toBe(10);
    expect(grew((s) => s.coordinator.reads.requests)).toBe(5);
    expect(grew((s) => s.replica.writes)).toBe(30);
    expect(grew((s) => s.replica.reads)).toBeGreaterThanOrEqual(10);
    expect(grew((s) => s.storage.writes)).toBeGreaterThanOrEqual(30);
    // Failures are counted by code (the test of the size limits leaves an INVALID_REQUEST); none here.
    expect(after.map((s) => s.coordinator.writes.failed)).toEqual(
      before.map((s) => s.coordinator.writes.failed),
    );
    for (const s of after) {
      if (s.coordinator.writes.requests > 0) expect(s.coordinator.writes.latency.p50).toBeGreaterThan(0);
    }
    // Each write is decided at each replica, each read asks two: all from the cache or storage.
    expect(grew((s) => (s.rowCache?.hits ?? 0) + (s.rowCache?.misses ?? 0))).toBeGreaterThanOrEqual(30 + 10);
    for (const s of after) expect(s.rowCache?.capacityBytes).toBe(64 * 1024 * 1024);
    const text = await runCli(['stats', '--node', c.addresses()[0] ?? '']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^writes +\d+ +(0|\d+ \(INVALID_REQUEST \d+\)) +\d+\.\d\d/m);
    expect(text.stdout).toMatch(/^storage: \d+ writes in \d+ synced batches/m);
    expect(text.stdout).toMatch(
      /^row cache: \d+ rows?, [\d.]+ (B|KiB|MiB) of 64\.0 MiB; [\d.]+% of \d+ lookups hit$/m,
    );
    const table = await runCli(['stats', '--all', '--node', c.addresses()[0] ?? '']);
    expect(table.stdout.split('\n').filter((l) => /^[0-9a-f]{8} +\d+ /.test(l))).toHaveLength(3);
  });

  it('with one node SIGKILLed QUORUM keeps working and ALL fails with the right counts', async () => {
    const victim = c.nodes[2];
    if (!victim) throw new Error('no third node');
    await c.kill(victim);
    // Before the failure detector convicts it, coordinators lose their connection to it: ALL
    // fails at once, not after the request timeout, and names the replica it lost.
    const writeAll = () => rejectionOf(client.put('all-key', 'v', { keyspace: ks, cl: 'ALL' }));
    let early = await writeAll();
    // If the client chose the killed node to coordinate before its own connection to it closed,
    // that write failed with it; the client routes around it from then on.
    if (early.code === 'NO_HOST_AVAILABLE') early = await writeAll();
    expect(early.code).toBe('WRITE_TIMEOUT');
    expect(Object.keys(early.details.unreachable as object)).toEqual([victim.hostId]);
    await until('the killed node is DOWN', async () => {
      const s = await client.status(ks);
      return s.nodes.find((n) => n.hostId === victim.hostId)?.state === 'DOWN';
    });
    for (let i = 0; i < 30; i++) {
      await client.put(`q-${i}`, `v${i}`, { keyspace: ks, cl: 'QUORUM' });
      expect((await client.get(`q-${i}`, { keyspace: ks, cl: 'QUORUM' })).value).toBe(`v${i}`);
    }
    const write = await rejectionOf(client.put('all-key', 'v', { keyspace: ks, cl: 'ALL' }));
    expect(['UNAVAILABLE', 'WRITE_TIMEOUT']).toContain(write.code);
    expect(write.details.required).toBe(3);
    expect(write.details[write.code === 'UNAVAILABLE' ? 'alive' : 'received']).toBe(2);
    const read = await rejectionOf(client.get('q-0', { keyspace: ks, cl: 'ALL' }));
    expect(['UNAVAILABLE', 'READ_TIMEOUT']).toContain(read.code);
    expect(read.details.required).toBe(3);
    expect(read.details[read.code === 'UNAVAILABLE' ? 'alive' : 'received']).toBe(2);
    // Every node's counters: the killed one says it gave no answer, and the failures are counted.
    const nodes = await client.statsOfEveryNode();
    expect(nodes.find((n) => n.hostId === victim.hostId)).toMatchObject({
      error: { code: 'NO_HOST_AVAILABLE' },
    });
    const failed = nodes.flatMap((n) =>
      'error' in n ? [] : [n.coordinator.writes.failed, n.coordinator.reads.failed],
    );
    expect(
      failed.some((f) => (f.UNAVAILABLE ?? 0) + (f.WRITE_TIMEOUT ?? 0) + (f.READ_TIMEOUT ?? 0) > 0),
    ).toBe(true);
  });
});

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stopAll();
  cluster = undefined;
});

describe('durability', () => {
  it('loses no acknowledged write when every node is SIGKILLed after a burst', async () => {
    const c = new TestCluster();
    cluster = c;
    await c.start(3);
    const client = await c.client();
    const acked = new Map<string, string>();
    const indexes = Array.from({ length: 2000 }, (_, i) => i);
    await inParallel(indexes, 64, async (i) => {
      await client.put(`burst-${i}`, `v${i}`, { keyspace: ks, cl: 'ONE' });
      acked.set(`burst-${i}`, `v${i}`);
    });
    await Promise.all(c.nodes.map((n) => c.kill(n)));
    for (const n of c.nodes) await c.restart(n);
    // Every node, not only the client's contact: a read at ALL may be coordinated by any of them.
    await c.settled(60_000);
    const after = await c.client();
    const lost: string[] = [];
    // Reads at ALL: an acknowledged ONE write lives on at least one replica, and ALL sees every one.
    await inParallel([...acked], 32, async ([key, value]) => {
      const r = await after.get(key, { keyspace: ks, cl: 'ALL' });
      if (r.value !== value) lost.push(key);
    });
    expect(lost).toEqual([]);
  });
});

describe('two data centers', () => {
  it('LOCAL_QUORUM survives the loss of a whole remote DC, EACH_QUORUM does not; replicas are rack-aware', async () => {
    const c = new TestCluster();
    cluster = c;
    for (let i = 0; i < 3; i++) await c.add({ dc: 'dc1', rack: `r${i + 1}` });
    for (let i = 0; i < 3; i++) await c.add({ dc: 'dc2', rack: `r${i + 1}` });
    const dc1 = c.nodes.slice(0, 3);
    const dc2 = c.nodes.slice(3);
    await c.settled();
    const admin = await c.client();
    await admin.createKeyspace('geo', { strategy: 'network', dcs: { dc1: 3, dc2: 2 } });

    // Every key has 3 replicas in dc1 and 2 in dc2, no two on one rack of a DC.
    for (let i = 0; i < 50; i++) {
      const ep = await admin.endpoints(`geo-${i}`, 'geo');
      const inDc = (dc: string) => ep.replicas.filter((r) => r.dc === dc);
      expect(inDc('dc1')).toHaveLength(3);
      expect(inDc('dc2')).toHaveLength(2);
      for (const dc of ['dc1', 'dc2']) {
        expect(new Set(inDc(dc).map((r) => r.rack)).size).toBe(inDc(dc).length);
      }
    }

    const first = dc1[0];
    if (!first) throw new Error('no dc1 node');
    // A local DC no node is in is a typo: said at once, not as LOCAL_* requests "0 are alive".
    const typo = await rejectionOf(c.client({ contactPoints: [first.address], localDc: 'dc3' }));
    expect(typo.code).toBe('USAGE');
    expect(typo.message).toBe(
      'the local data center dc3 (--local-dc) has no node in this cluster; its data centers: dc1, dc2',
    );
    const local = await c.client({ contactPoints: [first.address], localDc: 'dc1', route: 'dc' });
    await local.put('before', 'x', { keyspace: 'geo', cl: 'EACH_QUORUM' });
    // dc2 stalled: a dc2 client's LOCAL_ONE read may only go to dc2's nodes, which accept the
    // connection and never finish the handshake. Each but the last gets a quarter of the timeout
    // and the last what is left, so the request fails in about its timeout rather than in three
    // times it, having tried them all.
    await Promise.all(dc2.map((n) => c.kill(n, 'SIGSTOP')));
    const stalled = await c.client({ contactPoints: [first.address], localDc: 'dc2', timeoutMs: 500 });
    const outOfTime = await rejectionOf(stalled.get('before', { keyspace: 'geo', cl: 'LOCAL_ONE' }));
    expect(outOfTime.code).toBe('NO_HOST_AVAILABLE');
    const node = String.raw`\S+ \(ws:[^)]+\)`;
    expect(outOfTime.message).toMatch(
      new RegExp(
        String.raw`\(${node} unreachable: no handshake within 125 ms; ${node} unreachable: no handshake within 125 ms; (${node} unreachable: no handshake within \d+ ms|1 more not tried: the 500 ms timeout ran out)\)`,
      ),
    );
    await Promise.all(dc2.map((n) => c.kill(n)));
    // Seen DOWN by every dc1 node, not only the contact: the DC-aware route coordinates through
    // any of them, and each convicts the dead on its own failure detector's time.
    const views = await Promise.all(dc1.map((n) => c.client({ contactPoints: [n.address] })));
    await until('dc2 is DOWN', async () => {
      const all = await Promise.all(views.map((v) => v.status('geo')));
      return all.every((s) => s.nodes.filter((n) => n.dc === 'dc2').every((n) => n.state === 'DOWN'));
    });
    for (let i = 0; i < 20; i++) {
      await local.put(`lq-${i}`, `v${i}`, { keyspace: 'geo', cl: 'LOCAL_QUORUM' });
      expect((await local.get(`lq-${i}`, { keyspace: 'geo', cl: 'LOCAL_QUORUM' })).value).toBe(`v${i}`);
    }
    const each = await rejectionOf(local.put('eq', 'v', { keyspace: 'geo', cl: 'EACH_QUORUM' }));
    expect(each.code).toBe('UNAVAILABLE');
    // The DC that fell short is named, and what is alive in each.
    expect(each.message).toBe(
      'EACH_QUORUM needs 4 replicas (2 in dc1, 2 in dc2), 3 are alive (3 in dc1, 0 in dc2)',
    );
    expect(each.details['dcs']).toEqual({
      dc1: { required: 2, alive: 3, replicas: 3 },
      dc2: { required: 2, alive: 0, replicas: 2 },
    });
    const eachRead = await rejectionOf(local.get('before', { keyspace: 'geo', cl: 'EACH_QUORUM' }));
    expect(eachRead.code).toBe('UNAVAILABLE');
    // LOCAL_QUORUM counts the coordinator's DC: for a client of dc2, only dc2's nodes may
    // coordinate it, whatever the route prefers (token-aware here would pick a dc1 replica and
    // have dc1's replicas acknowledge a write that no dc2 replica has).
    const remote = await c.client({ contactPoints: [first.address], localDc: 'dc2', route: 'token' });
    for (const attempt of [
      remote.put('lq-dc2', 'v', { keyspace: 'geo', cl: 'LOCAL_QUORUM' }),
      remote.get('before', { keyspace: 'geo', cl: 'LOCAL_ONE' }),
    ]) {
      const refused = await rejectionOf(attempt);
      expect(refused.code).toBe('NO_HOST_AVAILABLE');
      expect(refused.message).toMatch(
        /^no node of dc2 could take the request \(.*\); LOCAL_(QUORUM|ONE) counts the replicas of the coordinator's data center, so only a node of dc2 \(--local-dc\) may coordinate it/,
      );
    }
    // A CL not counted by DC goes through any node.
    await remote.put('q-dc2', 'v', { keyspace: 'geo', cl: 'QUORUM' });
    // Keys still place on dc1's racks as before.
    expect(replicasOf(local, 'geo', 'lq-0')).toHaveLength(5);
  });
});
