import { describe, expect, it } from 'vitest';
import { RingkvError } from '../../../src/protocol/errors.js';
import { splitStatements } from '../../../src/repl/parser.js';
import { runScript, type ScriptOptions } from '../../../src/repl/script.js';
import { FakeCluster } from './fake-cluster.js';

function sink() {
  const chunks: string[] = [];
  return {
    write: (s: string) => chunks.push(s),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l !== ''),
  };
}

async function script(api: FakeCluster, text: string, opts: Partial<ScriptOptions> = {}) {
  const out = sink();
  const err = sink();
  const code = await runScript(api, splitStatements(text), {
    session: { cl: 'ONE', keyspace: 'default', tracing: false },
    json: false,
    continueOnError: false,
    out,
    err,
    nowMs: () => 1_700_000_100_000,
    ...opts,
  });
  return { code, out: out.lines(), err: err.lines() };
}

describe('scripted mode', () => {
  it('fails a script on a repair that left ranges unrepaired, after printing what it did', async () => {
    const api = new FakeCluster();
    api.unrepairable = [{ start: '0', end: '10', reason: 'replica n3 is down' }];
    const r = await script(api, 'repair; get a');
    expect(r.code).toBe(1);
    expect(r.out[0]).toMatch(/^repair of default: \d+ ranges, 2 mismatched/);
    expect(r.out[1]).toBe('failed range (0, 10]: replica n3 is down');
    expect(r.out).toHaveLength(2);
    expect(r.err).toEqual([
      'error REFUSED: 1 range(s) could not be repaired: bring the replicas back and run repair again',
    ]);
  });

  it('prints one line per command', async () => {
    const api = new FakeCluster();
    const r = await script(api, 'put a 1; clear; get a QUORUM; get b');
    expect(r.code).toBe(0);
    expect(r.out).toHaveLength(3);
    expect(r.out[0]).toMatch(
      /^a written at ONE, timestamp 1700000000000000 \(2023-11-14T.*\), acked by node-\d, node-\d, node-\d$/,
    );
    expect(r.out[1]).toMatch(/^a = 1 \(timestamp 1700000000000000 .*QUORUM, replicas/);
    expect(r.out[2]).toMatch(/^b: not found/);
    expect(api.calls).toEqual(['put a 1 ONE', 'get a QUORUM', 'get b ONE']);
  });

  it('prints the JSON documents of the matching commands', async () => {
    const api = new FakeCluster();
    const r = await script(api, 'put a 1 all\nget a\nconsistency two\nring', { json: true });
    expect(r.code).toBe(0);
    const docs = r.out.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(docs[0]).toMatchObject({
      key: 'a',
      keyspace: 'default',
      cl: 'ALL',
      timestamp: 1_700_000_000_000_000,
    });
    expect(docs[0]?.acks).toHaveLength(3);
    expect(docs[1]).toMatchObject({ key: 'a', found: true, value: '1', cl: 'ONE' });
    expect(docs[2]).toEqual({ consistency: 'TWO' });
    expect(docs[3]?.ring).toHaveLength(12);
  });

  it('creates and alters keyspaces, saying what the change leaves to do', async () => {
    const api = new FakeCluster();
    const r = await script(
      api,
      'create users 2; use users; put a 1 TWO; alter users 3; alter users 3; alter users 1',
    );
    expect(r.code).toBe(0);
    expect(r.out[0]).toBe('created keyspace users (simple, RF 2)');
    expect(r.out[1]).toBe('using keyspace users (simple, RF 2)');
    expect(r.out.slice(3)).toEqual([
      'altered keyspace users: simple, RF 3 (was simple, RF 2)',
      'note: run `repair users` to stream what is already written to the new replicas',
      'keyspace users already has simple, RF 3',
      // Fewer replicas: nothing to stream, copies to drop.
      'altered keyspace users: simple, RF 1 (was simple, RF 3)',
      'note: the nodes that stopped being replicas keep their copies until `cleanup users` drops them',
    ]);
    expect(api.calls).toContain('put a 1 TWO');
  });

  it('names a data center with no node yet, and prints the documents of keyspace create and alter', async () => {
    const api = new FakeCluster();
    const text = await script(api, 'create orders dc1:2,west:1');
    expect(text.out).toEqual([
      'created keyspace orders (network, dc1:2, west:1)',
      'note: no node is in west yet; orders has no replicas there until one joins',
    ]);
    const json = await script(api, 'create events 1; alter events dc1:3', { json: true });
    expect(json.out.map((l) => JSON.parse(l) as unknown)).toEqual([
      { name: 'events', replication: { strategy: 'simple', rf: 1 } },
      {
        name: 'events',
        replication: { strategy: 'network', dcs: { dc1: 3 } },
        previous: { strategy: 'simple', rf: 1 },
      },
    ]);
  });

  it("shows every node's counters, one row each, and which node did not answer", async () => {
    const api = new FakeCluster();
    api.setState('node-3', 'DOWN');
    const r = await script(api, 'put a 1; put b 2; get a; stats');
    expect(r.code).toBe(0);
    expect(r.out.slice(3)).toEqual([
      'NODE    WRITES  P50 MS  P99 MS  READS  P50 MS  P99 MS  FAILED  REPAIRED  REPLICA W/R  HINTS IN/OUT  PER SYNC',
      'node-1  2       0.50    1.50    1      0.50    1.50    0       0         2/1          0/0           2.5',
      'node-2  0       0.00    0.00    0      0.00    0.00    0       0         2/1          0/0           2.5',
      'node-3  no answer: NO_HOST_AVAILABLE',
    ]);
    const json = await script(api, 'stats', { json: true });
    const doc = JSON.parse(json.out[0] ?? '') as { nodes: Record<string, unknown>[] };
    expect(doc.nodes).toHaveLength(3);
    expect(doc.nodes[0]).toMatchObject({ hostId: 'node-1', coordinator: { writes: { requests: 2 } } });
    expect(doc.nodes[2]).toMatchObject({ hostId: 'node-3', error: { code: 'NO_HOST_AVAILABLE' } });
  });

  it('cleans every node of the copies an alter to fewer replicas left, and fails on a node it could not clean', async () => {
    const api = new FakeCluster();
    const r = await script(api, 'create few 3; use few; put a 1; put b 2; put c 3; alter few 1; cleanup');
    expect(r.code).toBe(0);
    expect(r.out.at(-4)).toBe(
      'note: the nodes that stopped being replicas keep their copies until `cleanup few` drops them',
    );
    const lines = r.out.slice(-3);
    lines.forEach((l, i) =>
      expect(l).toMatch(
        new RegExp(
          `^cleanup of node-${i + 1}: dropped (\\d+) cells? it no longer replicates \\(\\1 in few\\) in 0\\.01 s$`,
        ),
      ),
    );
    // Three keys lost two replicas each: six copies dropped over the three nodes.
    const dropped = lines.map((l) => Number(/dropped (\d+) cell/.exec(l)?.[1]));
    expect(dropped.reduce((a, b) => a + b, 0)).toBe(6);
    expect(api.calls).toContain('cleanup few');
    // Nothing left to drop the second time.
    const again = await script(api, 'cleanup few', { json: true });
    const doc = JSON.parse(again.out[0] ?? '') as { keyspace: string; nodes: { dropped: number }[] };
    expect(doc.keyspace).toBe('few');
    expect(doc.nodes.map((n) => n.dropped)).toEqual([0, 0, 0]);
    // A node that cannot run it is named, the others still run theirs, and the script fails.
    api.setState('node-2', 'DOWN');
    const down = await script(api, 'cleanup few; get a');
    expect(down.code).toBe(1);
    expect(down.out).toEqual([
      'cleanup of node-1: dropped 0 cells it no longer replicates (0 in few) in 0.01 s',
      'cleanup of node-2: not run: NO_HOST_AVAILABLE: cannot reach ws://127.0.0.1:7402',
      'cleanup of node-3: dropped 0 cells it no longer replicates (0 in few) in 0.01 s',
    ]);
    expect(down.err).toEqual([
      'error REFUSED: cleanup did not run on 1 node(s) (node-2: NO_HOST_AVAILABLE): bring them back, or let them finish joining or leaving, and run cleanup again',
    ]);
  });

  it('keeps session changes for later commands', async () => {
    const api = new FakeCluster();
    await script(api, 'consistency quorum; tracing on; put a 1; get a');
    expect(api.calls).toEqual(['put a 1 QUORUM', 'get a QUORUM']);
  });

  it('stops at the first failure with its exit code', async () => {
    const api = new FakeCluster();
    api.setState('node-2', 'DOWN');
    api.setState('node-3', 'DOWN');
    const r = await script(api, 'put a 1; put b 2 QUORUM; put c 3', { json: true });
    expect(r.code).toBe(1);
    expect(api.calls).toEqual(['put a 1 ONE', 'put b 2 QUORUM']);
    expect(JSON.parse(r.out[1] ?? '')).toMatchObject({
      error: { code: 'UNAVAILABLE', required: 2, alive: 1, hint: 'use ONE, or bring a node back' },
    });
    expect(r.err).toEqual([
      'error UNAVAILABLE: QUORUM needs 2 replicas, 1 is alive: use ONE, or bring a node back',
    ]);
  });

  it('exits 2 on a usage error', async () => {
    const r = await script(new FakeCluster(), 'get a most; get a');
    expect(r.code).toBe(2);
    expect(r.out).toEqual([]);
    expect(r.err[0]).toContain('error USAGE: unknown consistency level "most"');
  });

  it('counts a joining replica in what it says and in the CL it suggests', async () => {
    // QUORUM of 3 plus a joining replica needs 3 acks; TWO would need 3 as well, ONE needs 2.
    const api = new FakeCluster();
    api.failNext(new RingkvError('UNAVAILABLE', 'x', { cl: 'QUORUM', required: 3, alive: 2, pending: 1 }));
    api.failNext(
      new RingkvError('WRITE_TIMEOUT', 'x', { cl: 'QUORUM', received: 2, required: 3, pending: 1 }),
    );
    const r = await script(api, 'put a 1 quorum; put a 1 quorum', { continueOnError: true });
    expect(r.err).toEqual([
      'error UNAVAILABLE: QUORUM needs 3 replicas (1 of them joining or taking over a range), 2 are alive: use ONE, or bring a node back; a node that died while joining stays pending until "ringkv removenode HOST_ID"',
      'error WRITE_TIMEOUT: QUORUM write timed out: 2 of the 3 replicas it needs (1 of them joining or taking over a range) acknowledged; the write may have been applied: read it back before retrying, or use ONE',
    ]);
  });

  it('says which replica failed a write and why', async () => {
    const api = new FakeCluster();
    api.failNext(
      new RingkvError('WRITE_FAILURE', 'x', {
        cl: 'QUORUM',
        received: 1,
        required: 2,
        failures: { b1: 'the disk of /d is full: the node stops' },
      }),
    );
    const r = await script(api, 'put a 1 quorum');
    expect(r.code).toBe(1);
    expect(r.err).toEqual([
      'error WRITE_FAILURE: QUORUM write failed: 1 of the 2 replicas it needs acknowledged; b1 failed it: the disk of /d is full: the node stops; the write may have been applied: read it back before retrying, or use ONE',
    ]);
  });

  it('suggests no CL for an UNAVAILABLE that is not about one', async () => {
    // A repair with a replica down, an empty ring: a lower CL would not help, the message says what would.
    const api = new FakeCluster();
    api.failNext(
      new RingkvError('UNAVAILABLE', 'the ring has no nodes yet: wait for a node to finish joining'),
    );
    const r = await script(api, 'get a');
    expect(r.err).toEqual([
      'error UNAVAILABLE: the ring has no nodes yet: wait for a node to finish joining',
    ]);
  });

  it('runs on after failures with --continue-on-error and still reports the first', async () => {
    const api = new FakeCluster();
    api.failNext(new RingkvError('WRITE_TIMEOUT', 'timed out', { received: 1, required: 2, cl: 'QUORUM' }));
    const r = await script(api, 'put a 1 quorum; pt b; get a', { continueOnError: true });
    expect(r.code).toBe(1);
    expect(r.err).toEqual([
      'error WRITE_TIMEOUT: QUORUM write timed out: 1 of the 2 replicas it needs acknowledged; the write may have been applied: read it back before retrying, or use ONE',
      'error USAGE: unknown command "pt": did you mean "put"?',
    ]);
    expect(r.out).toHaveLength(1);
  });

  it('stops at exit', async () => {
    const api = new FakeCluster();
    const r = await script(api, 'put a 1; exit; put b 2');
    expect(r.code).toBe(0);
    expect(api.calls).toEqual(['put a 1 ONE']);
  });

  it('shows a trace waterfall under a traced request', async () => {
    const r = await script(new FakeCluster(), 'tracing on; put a 1');
    expect(r.out[0]).toBe('tracing on');
    expect(r.out.slice(2).join('\n')).toContain('coordinator chosen');
    expect(r.out.slice(2).every((l) => /ms/.test(l))).toBe(true);
  });

  it('lists hints with their age and past-window flag', async () => {
    const api = new FakeCluster();
    api.hintList = [
      {
        holder: 'node-1',
        target: 'node-3',
        count: 5,
        bytes: 2048,
        oldest: 1_700_000_000_000,
        pastWindow: true,
      },
    ];
    const r = await script(api, 'hints');
    expect(r.out[0]).toMatch(/^HOLDER\s+TARGET\s+HINTS\s+BYTES\s+OLDEST$/);
    expect(r.out[1]).toMatch(/^node-1\s+node-3\s+5\s+2.0 KiB\s+1m40s\s+PAST WINDOW: repair$/);
  });

  it('reports an unknown keyspace with the ones that exist', async () => {
    const r = await script(new FakeCluster(), 'use nope');
    expect(r.code).toBe(1);
    expect(r.err[0]).toBe(
      'error NOT_FOUND: no keyspace "nope": use one of: default, or create it (help create)',
    );
  });

  it('says a keyspace to alter, repair or clean up does not exist, in its own terms, before asking nodes', async () => {
    const api = new FakeCluster();
    const r = await script(api, 'alter nosuch 3; repair nosuch; cleanup nosuch', { continueOnError: true });
    const missing = 'error NOT_FOUND: no keyspace "nosuch": use one of: default, or create it (help create)';
    expect(r.err).toEqual([missing, missing, missing]);
    expect(api.calls).toEqual(['keyspaces', 'keyspaces', 'keyspaces']);
  });

  it('ends the list of commands with how ; splits a line, and where history is kept', async () => {
    const r = await script(new FakeCluster(), 'help');
    expect(r.out.slice(-2)).toEqual([
      "A ; outside quotes separates statements, as in cqlsh: put a 1; get a. Quote a value to keep a ; in it: put k 'a;b'.",
      'Up and down recall earlier lines, saved in ~/.ringkv_history (or the file RINGKV_HISTORY names), except lines over 16 KiB.',
    ]);
    const put = await script(new FakeCluster(), 'help put');
    expect(put.out[1]).toContain(
      'Quote keys and values with spaces or a ;, which otherwise ends the statement',
    );
  });

  it('says what repair --full does: nothing more, as every repair compares every range', async () => {
    const r = await script(new FakeCluster(), 'help repair');
    expect(r.out[1]).toContain(
      'Every repair compares every range in full: --full is accepted for Cassandra habits',
    );
    expect(r.out[1]).not.toContain('compares every key');
  });

  it('stops when interrupted', async () => {
    const api = new FakeCluster();
    api.hold();
    const controller = new AbortController();
    const running = script(api, 'put a 1; put b 2', { signal: controller.signal });
    await Promise.resolve();
    controller.abort();
    expect((await running).code).toBe(130);
    api.release();
    expect(api.calls).toEqual(['put a 1 ONE']);
  });
});

describe('scripted ring', () => {
  it("draws the band as letters and marks a key's replicas", async () => {
    const api = new FakeCluster(3, 4);
    api.setState('node-3', 'DOWN');
    const r = await script(api, 'ring k1');
    expect(r.out[0]).toMatch(/^\|[ABC]{64}\|$/);
    // Four vnodes per node, interleaved: four runs of each letter.
    for (const letter of 'ABC') expect(r.out[0]?.match(new RegExp(`${letter}+`, 'g'))).toHaveLength(4);
    expect(r.out[1]).toMatch(/^ +\^ k1$/);
    expect(r.out[2]).toMatch(
      /^A +127\.0\.0\.1:7401 +UP +dc1\/rack1 +4 vnodes +primary 33\.3% +owns 100\.0%$/,
    );
    expect(r.out[4]).toMatch(/^C +127\.0\.0\.1:7403 +DOWN/);
    expect(r.out[5]).toMatch(/^k1: token -?\d+, replicas .*127\.0\.0\.1:7403 \(DOWN\)/);
  });
});
