import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RingkvClient } from '../../src/client/client.js';
import { BIN, TestCluster, runCli, until } from '../support/cluster.js';

/**
 * `ringkv repl` without a terminal: -e, -f and a pipe run the REPL's commands against a real
 * three-node cluster, print one result per command (JSON lines with --json, in the shapes of the
 * matching oclif commands), and exit non-zero at the first failure unless --continue-on-error.
 */

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The built CLI with `input` piped to its standard input (never a terminal). */
function runWithInput(args: string[], input: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, RINGKV_SECRET: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');
const jsonLines = (text: string) => lines(text).map((l) => JSON.parse(l) as Record<string, unknown>);

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  await new Promise<void>((r) => server.close(() => r()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('ringkv repl, scripted, on three nodes', () => {
  let c: TestCluster;
  let client: RingkvClient;
  let node: string[];
  // Made in beforeAll: a folder made while tests are collected outlives a run that skips them all.
  let scratch: string;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'ringkv-repl-it-'));
    c = new TestCluster();
    await c.start(3);
    client = await c.client();
    node = ['--node', c.addresses()[0] ?? ''];
  });

  afterAll(async () => {
    await c.stopAll();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('runs -e statements in turn, one result line each', async () => {
    const r = await runCli(['repl', ...node, '-e', 'put a 1; get a QUORUM']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [put, get, ...rest] = lines(r.stdout);
    expect(rest).toEqual([]);
    expect(put).toMatch(/^a written at ONE, timestamp \d+ .*acked by [0-9a-f]{8}$/);
    // At least two replicas answered; a third may have (a speculative retry), or been repaired.
    expect(get).toMatch(/^a = 1 \(timestamp \d+ .*QUORUM, replicas [0-9a-f]{8}(, [0-9a-f]{8})+/);
  });

  it('runs a file: one command per line or ;-separated, # comments, and session commands', async () => {
    const file = join(scratch, 'setup.ringkv');
    writeFileSync(
      file,
      ['# set the session up', 'consistency quorum', 'put "file key" "a value"; get "file key"', ''].join(
        '\n',
      ),
    );
    const r = await runCli(['repl', ...node, '-f', file]);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual([
      'consistency set to QUORUM',
      expect.stringMatching(/^file key written at QUORUM, /),
      expect.stringMatching(/^file key = a value \(timestamp \d+ .*QUORUM, /),
    ]);
  });

  it('creates a keyspace, uses and alters it; a read at ALL then repairs the new replica; cleanup drops the copy a replica lost', async () => {
    const cleanupLine: unknown = expect.stringMatching(
      /^cleanup of [0-9a-f]{8}: dropped [01] cells? it no longer replicates \([01] in solo\) in \d+\.\d\d s$/,
    );
    const script =
      'create solo 1; use solo; put k v ALL; alter solo 2; get k ALL; endpoints k; alter solo 1; cleanup';
    const r = await runCli(['repl', ...node, '-e', script]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual([
      'created keyspace solo (simple, RF 1)',
      'using keyspace solo (simple, RF 1)',
      expect.stringMatching(/^k written at ALL, .*acked by [0-9a-f]{8}$/),
      'altered keyspace solo: simple, RF 2 (was simple, RF 1)',
      'note: run `repair solo` to stream what is already written to the new replicas',
      expect.stringMatching(/^k = v \(.*ALL, replicas [0-9a-f]{8}, [0-9a-f]{8}, repaired [0-9a-f]{8}\)$/),
      expect.stringMatching(/^k: token -?\d+, replicas (127\.0\.0\.1:\d+ \(UP\)(, )?){2}$/),
      'altered keyspace solo: simple, RF 1 (was simple, RF 2)',
      'note: the nodes that stopped being replicas keep their copies until `cleanup solo` drops them',
      cleanupLine,
      cleanupLine,
      cleanupLine,
    ]);
    // The replica k lost to RF 1 dropped its copy; the one it kept and the third node had none to drop.
    const dropped = lines(r.stdout)
      .slice(-3)
      .map((l) => Number(/dropped (\d) cell/.exec(l)?.[1]));
    expect(dropped.sort()).toEqual([0, 0, 1]);
  });

  it('reads a pipe on standard input when no -e or -f is given', async () => {
    const r = await runWithInput(['repl', ...node], 'put piped yes ALL\nget piped ALL\nendpoints piped\n');
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out[0]).toMatch(/^piped written at ALL, .*acked by [0-9a-f]{8}, [0-9a-f]{8}, [0-9a-f]{8}$/);
    expect(out[1]).toMatch(/^piped = yes /);
    expect(out[2]).toMatch(/^piped: token -?\d+, replicas (127\.0\.0\.1:\d+ \(UP\)(, )?){3}$/);
  });

  it('prints JSON lines in the shapes of the matching commands', async () => {
    const r = await runCli([
      'repl',
      ...node,
      '--json',
      '-e',
      'put j v QUORUM; get j QUORUM; endpoints j; status; ring; hints; keyspaces',
    ]);
    expect(r.code).toBe(0);
    const [put, get, endpoints, status, ring, hints, keyspaces, ...rest] = jsonLines(r.stdout);
    expect(rest).toEqual([]);
    expect(put).toMatchObject({ key: 'j', keyspace: 'default', cl: 'QUORUM' });
    expect(get).toMatchObject({ key: 'j', keyspace: 'default', cl: 'QUORUM', found: true, value: 'v' });
    expect((status?.nodes as unknown[]).length).toBe(3);
    expect(hints).toEqual({ hints: expect.any(Array) as unknown, unanswered: [] });
    // Other tests here create keyspaces of their own.
    expect(keyspaces?.keyspaces).toContainEqual({
      name: 'default',
      replication: { strategy: 'simple', rf: 3 },
    });

    // CLI.md's documents are the contract: the REPL's lines carry at least the same fields.
    const oclif = async (...args: string[]) => {
      const o = await runCli([...args, ...node, '--json']);
      expect(o.code).toBe(0);
      return JSON.parse(o.stdout) as Record<string, unknown>;
    };
    const documents = await Promise.all([
      oclif('put', 'j2', 'v', '--cl', 'QUORUM'),
      oclif('get', 'j', '--cl', 'QUORUM'),
      oclif('endpoints', 'j'),
      oclif('status'),
      oclif('ring'),
    ]);
    const same = [put, get, endpoints, status, ring].map((doc, i) => [doc, documents[i] ?? {}] as const);
    for (const [repl, command] of same) {
      expect(Object.keys(repl ?? {}).sort()).toEqual(expect.arrayContaining(Object.keys(command).sort()));
    }
    expect(ring).toEqual(documents[4]);
    for (const key of ['key', 'token', 'replicas']) expect(endpoints?.[key]).toEqual(documents[2]?.[key]);
  });

  it('stops at an unknown CL with exit code 2, and runs on with --continue-on-error', async () => {
    const stopped = await runCli(['repl', ...node, '-e', 'put s1 1 QUROUM; put s2 1']);
    expect(stopped.code).toBe(2);
    expect(stopped.stdout).toBe('');
    expect(stopped.stderr).toMatch(/^error USAGE: unknown consistency level "QUROUM"/);

    const goesOn = await runCli(['repl', ...node, '--continue-on-error', '-e', 'put s1 1 QUROUM; put s2 1']);
    expect(goesOn.code).toBe(2);
    expect(lines(goesOn.stdout)).toEqual([expect.stringMatching(/^s2 written at ONE/)]);

    const after = await client.get('s2', { keyspace: 'default', cl: 'ALL' });
    expect(after.found).toBe(true);
    expect((await client.get('s1', { keyspace: 'default', cl: 'ALL' })).found).toBe(false);
  });

  it('fails with a usage error for a missing file, and with 3 when no node answers', async () => {
    const missing = await runCli(['repl', ...node, '-f', join(scratch, 'no-such-file')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error USAGE: cannot read the script .*no-such-file: ENOENT/);

    const nobody = await runCli(['repl', '--node', `ws://127.0.0.1:${await closedPort()}`, '-e', 'get a']);
    expect(nobody.code).toBe(3);
    expect(nobody.stderr).toMatch(/^error NO_HOST_AVAILABLE: /);
  });

  // Kills nodes: keep it last.
  it('exits 1 at UNAVAILABLE once two nodes are down, with the details in the JSON error', async () => {
    const survivor = c.nodes[0]!;
    await c.kill(c.nodes[1]!);
    await c.kill(c.nodes[2]!);
    const seen = await c.client({ contactPoints: [survivor.address] });
    await until('the survivor to see two nodes DOWN', async () => {
      const s = await seen.status('default');
      return s.nodes.filter((n) => n.state === 'DOWN').length === 2;
    });

    const r = await runCli(['repl', '--node', survivor.address, '-e', 'put u 1 QUORUM; put v 1 ONE']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe(
      'error UNAVAILABLE: QUORUM needs 2 replicas, 1 is alive: use ONE, or bring a node back',
    );

    const json = await runCli([
      'repl',
      '--node',
      survivor.address,
      '--json',
      '--continue-on-error',
      '-e',
      'get u ALL; put v 1 ONE',
    ]);
    expect(json.code).toBe(1);
    const [error, put] = jsonLines(json.stdout);
    expect(error).toEqual({
      error: expect.objectContaining({ code: 'UNAVAILABLE', required: 3, alive: 1 }) as unknown,
    });
    expect(put).toMatchObject({ key: 'v', cl: 'ONE' });
  });
});

describe('ringkv demo, scripted', () => {
  it(
    'runs its own example: a write at QUORUM, then a read at ALL as soon as it starts',
    { timeout: 60_000 },
    async () => {
      // Right after start a node may not have heard of every peer yet; the demo waits until all have.
      const r = await runWithInput(['demo', '--json'], 'put a 1 QUORUM; get a ALL');
      expect(r.stderr).toContain('waiting for every node to see the others UP... done');
      expect(r.code).toBe(0);
      // One JSON line per statement and nothing after them, as `repl --json` prints.
      const out = jsonLines(r.stdout);
      expect(out).toHaveLength(2);
      const [put, get] = out;
      expect(put).toMatchObject({ key: 'a', cl: 'QUORUM' });
      expect(get).toMatchObject({ key: 'a', cl: 'ALL', found: true, value: '1' });
    },
  );
});
