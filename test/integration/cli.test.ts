import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { viewFrom } from '../../src/cli/convergence.js';
import { BIN, TestCluster, runCli, until } from '../support/cluster.js';

const SECRET = 'integration-secret';
/** Each CLI run starts a Node process (about a second of CPU); a busy CI box needs room. */
const CLI_TEST_TIMEOUT_MS = 120_000;

/** A loopback port that nothing listens on (bound, read, closed). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function json(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout) as Record<string, unknown>;
}

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0] as string;
}

describe('the CLI against a secured two-node cluster', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  let c: TestCluster;
  let node: string;
  const env = { RINGKV_SECRET: SECRET };
  const cli = (...args: string[]) => runCli([...args, '--node', node], env);

  beforeAll(async () => {
    c = new TestCluster(['--secret', SECRET]);
    await c.start(2);
    node = c.nodes[0]?.address ?? '';
  });
  afterAll(async () => {
    await c.stopAll();
  });

  it('put, get and del print the JSON shapes of CLI.md', async () => {
    const put = await cli('put', 'shape-key', 'shape-value', '--cl', 'two', '--json');
    expect(put.code).toBe(0);
    const written = json(put.stdout);
    expect(written).toMatchObject({ key: 'shape-key', keyspace: 'default', cl: 'TWO' });
    expect(typeof written.timestamp).toBe('number');
    expect(written.acks).toHaveLength(2);

    const get = await cli('get', 'shape-key', '--cl', 'One', '--json');
    expect(get.code).toBe(0);
    expect(json(get.stdout)).toMatchObject({
      key: 'shape-key',
      keyspace: 'default',
      cl: 'ONE',
      found: true,
      value: 'shape-value',
      timestamp: written.timestamp,
    });

    const del = await cli('del', 'shape-key', '--cl', 'quorum', '--json');
    expect(del.code).toBe(0);
    expect(json(del.stdout)).toMatchObject({ key: 'shape-key', keyspace: 'default', cl: 'QUORUM' });
    expect(json(del.stdout).timestamp as number).toBeGreaterThan(written.timestamp as number);

    const missing = await cli('get', 'shape-key', '--cl', 'two', '--json');
    expect(missing.code).toBe(0);
    expect(json(missing.stdout)).toMatchObject({ key: 'shape-key', found: false });
  });

  it('put --ttl takes seconds or a duration, and the value is gone once it expires', async () => {
    const put = await cli('put', 'ttl-key', 'v', '--cl', 'two', '--ttl', '4s', '--json');
    expect(put.code, put.stderr).toBe(0);
    // The TTL runs from the write's timestamp (µs, this machine's clock), not from when the CLI
    // was started: a CLI process takes from a fraction of a second to seconds to start here.
    const expiresAtMs = (json(put.stdout).timestamp as number) / 1000 + 4000;
    const got = json((await cli('get', 'ttl-key', '--cl', 'two', '--json')).stdout);
    // Only a read that ended well inside the TTL must have found it.
    if (Date.now() < expiresAtMs - 500) expect(got).toMatchObject({ found: true });
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAtMs + 250 - Date.now())));
    expect(json((await cli('get', 'ttl-key', '--cl', 'two', '--json')).stdout)).toMatchObject({
      found: false,
    });
    const partial = await cli('put', 'ttl-key', 'v', '--ttl', '1.5');
    expect(partial.code).toBe(2);
    expect(partial.stderr.trim()).toBe('error USAGE: --ttl "1.5" is not a whole number of seconds');
  });

  it('put takes a value byte for byte from a file or standard input, never from a pipe by accident', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ringkv-value-'));
    try {
      // Every byte value, and more than one argument may carry (128 KiB on Linux).
      const bytes = new Uint8Array(300_000).map((_, i) => (i * 7) % 256);
      writeFileSync(join(dir, 'value.bin'), bytes);
      const fromFile = await cli('put', 'file-key', '--value-file', join(dir, 'value.bin'), '--cl', 'two');
      expect(fromFile.code, fromFile.stderr).toBe(0);
      const read = await cli('get', 'file-key', '--cl', 'two', '--json');
      expect(json(read.stdout)).toMatchObject({ found: true, valueEncoding: 'base64' });
      expect(Buffer.from(json(read.stdout).value as string, 'base64').equals(bytes)).toBe(true);

      // Standard input keeps its trailing newline: nothing is trimmed.
      const piped = await runCli(
        ['put', 'pipe-key', '--value-file', '-', '--node', node],
        env,
        Buffer.from('a\nb\n'),
      );
      expect(piped.code, piped.stderr).toBe(0);
      expect(json((await cli('get', 'pipe-key', '--json')).stdout)).toMatchObject({ value: 'a\nb\n' });

      // Without --value-file a pipe is not read for the missing VALUE (oclif would, within 10 ms).
      const missing = await runCli(['put', 'pipe-key', '--node', node], env, Buffer.from('oops'));
      expect(missing.code).toBe(2);
      expect(oneLine(missing.stderr)).toBe(
        'error USAGE: give the value as VALUE, or with --value-file FILE ("-": standard input)',
      );
      const both = await cli('put', 'k', 'v', '--value-file', join(dir, 'value.bin'));
      expect(both.code).toBe(2);
      expect(oneLine(both.stderr)).toBe(
        'error USAGE: give the value as VALUE or with --value-file, not both',
      );
      const absent = await cli('put', 'k', '--value-file', join(dir, 'absent'));
      expect(absent.code).toBe(2);
      expect(oneLine(absent.stderr)).toBe(
        `error USAGE: cannot read the value file ${join(dir, 'absent')}: ENOENT`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes its contact points from RINGKV_NODE, as CLI.md says', async () => {
    // oclif hands a repeatable flag's environment value over as a string, not a list: every
    // command failed on it with a TypeError.
    const other = c.nodes[1]?.address ?? '';
    const fromEnv = await runCli(['put', 'env-key', 'env-value', '--json'], { ...env, RINGKV_NODE: node });
    expect(fromEnv.code, fromEnv.stderr).toBe(0);
    const both = await runCli(['get', 'env-key', '--json'], { ...env, RINGKV_NODE: `${other},${node}` });
    expect(both.code, both.stderr).toBe(0);
    expect(json(both.stdout)).toMatchObject({ found: true, value: 'env-value' });
    const bad = await runCli(['get', 'env-key'], { ...env, RINGKV_NODE: 'nonsense' });
    expect(bad.code).toBe(2);
    expect(oneLine(bad.stderr)).toBe('error USAGE: --node "nonsense" is not ws://HOST:PORT');
  });

  it('status, ring, endpoints and keyspace list print the JSON shapes of CLI.md', async () => {
    const status = await cli('status', '--json');
    expect(status.code).toBe(0);
    const nodes = json(status.stdout).nodes as Record<string, unknown>[];
    expect(nodes).toHaveLength(2);
    for (const n of nodes) {
      expect(n).toMatchObject({ state: 'UP', status: 'NORMAL', dc: 'dc1', rack: 'rack1', tokens: 16 });
      expect(typeof n.hostId).toBe('string');
      expect(n.address).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
      expect(typeof n.load).toBe('number');
    }
    // RF 3 over two nodes: each holds everything, and status says what that leaves out.
    for (const n of nodes) expect(n.owns).toBe(1);
    expect(json(status.stdout).warnings).toContain(
      'keyspace default asks for 3 replicas and the cluster has 2 nodes: THREE and ALL cannot succeed until a node joins, or lower it: ringkv keyspace alter default --rf 2',
    );

    const ring = await cli('ring', '--json');
    expect(ring.code).toBe(0);
    const entries = json(ring.stdout).ring as { token: string; hostId: string; address: string }[];
    expect(entries).toHaveLength(32);
    const tokens = entries.map((e) => BigInt(e.token));
    expect([...tokens].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(tokens);
    expect(new Set(entries.map((e) => e.hostId)).size).toBe(2);

    const endpoints = await cli('endpoints', 'user:1', '--json');
    expect(endpoints.code).toBe(0);
    const ep = json(endpoints.stdout);
    expect(ep).toMatchObject({ key: 'user:1' });
    const token = await runCli(['token', 'user:1', '--json']);
    expect(ep.token).toBe((json(token.stdout).tokens as { token: string }[])[0]?.token);
    expect(ep.replicas).toHaveLength(2);
    for (const r of ep.replicas as Record<string, unknown>[]) {
      expect(typeof r.hostId).toBe('string');
      expect(typeof r.address).toBe('string');
    }

    expect((await cli('keyspace', 'create', 'two', '--rf', '2', '--json')).code).toBe(0);
    const list = await cli('keyspace', 'list', '--json');
    expect(list.code).toBe(0);
    expect(json(list.stdout).keyspaces).toEqual(
      expect.arrayContaining([
        { name: 'default', replication: { strategy: 'simple', rf: 3 } },
        { name: 'two', replication: { strategy: 'simple', rf: 2 } },
      ]),
    );
  });

  /** A new keyspace of RF `rf` with 20 keys written at `cl` (value `v-KEY`); returns the keys. */
  async function keyspaceWithKeys(name: string, rf: number, cl: string): Promise<string[]> {
    expect((await cli('keyspace', 'create', name, '--rf', String(rf))).code).toBe(0);
    const keys = Array.from({ length: 20 }, (_, i) => `${name}-${i}`);
    const load = await cli(
      'repl',
      '--keyspace',
      name,
      '-e',
      keys.map((k) => `put ${k} v-${k} ${cl}`).join('; '),
    );
    expect(load.code, load.stderr).toBe(0);
    return keys;
  }

  it('keyspace alter raises the replication factor, and repair gives the new replicas the data', async () => {
    const keys = await keyspaceWithKeys('grow', 1, 'ONE');

    const alter = await cli('keyspace', 'alter', 'grow', '--rf', '2', '--json');
    expect(alter.code, alter.stderr).toBe(0);
    expect(json(alter.stdout)).toEqual({
      name: 'grow',
      replication: { strategy: 'simple', rf: 2 },
      previous: { strategy: 'simple', rf: 1 },
    });
    expect(oneLine(alter.stderr)).toBe(
      'note: run `ringkv repair --keyspace grow --all-ranges` to stream what is already written to the new replicas',
    );
    // Schema agreement: the other node has the change by the time the command returns.
    const other = c.nodes[1]?.address ?? '';
    const list = await runCli(['keyspace', 'list', '--json', '--node', other], env);
    expect(json(list.stdout).keyspaces).toContainEqual({
      name: 'grow',
      replication: { strategy: 'simple', rf: 2 },
    });

    // Each key has one replica without it: a read at ALL finds the value and repairs that replica.
    const before = await cli('get', keys[0] as string, '--keyspace', 'grow', '--cl', 'all', '--json');
    expect(json(before.stdout)).toMatchObject({ found: true, value: `v-${keys[0]}` });
    expect(json(before.stdout).repaired).toHaveLength(1);

    const repair = await cli('repair', '--keyspace', 'grow', '--json');
    expect(repair.code, repair.stderr).toBe(0);
    expect(json(repair.stdout).keysStreamed as number).toBeGreaterThanOrEqual(keys.length - 1);
    const after = await cli(
      'repl',
      '--keyspace',
      'grow',
      '--json',
      '-e',
      keys.map((k) => `get ${k} ALL`).join('; '),
    );
    expect(after.code, after.stderr).toBe(0);
    const reads = after.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(reads).toHaveLength(keys.length);
    for (const r of reads) expect(r).toMatchObject({ found: true, repaired: [] });

    const same = await cli('keyspace', 'alter', 'grow', '--rf', '2');
    expect(same.stdout.trim()).toBe('keyspace grow already has simple, RF 2');
  });

  it('cleanup drops what a node no longer replicates, and nothing it does', async () => {
    const keys = await keyspaceWithKeys('shrink', 2, 'ALL');
    // Nothing to drop while both nodes replicate everything.
    const idle = await cli('cleanup', '--keyspace', 'shrink', '--json');
    expect(idle.code, idle.stderr).toBe(0);
    expect(json(idle.stdout)).toMatchObject({ keyspaces: [{ keyspace: 'shrink', dropped: 0 }], dropped: 0 });

    expect((await cli('keyspace', 'alter', 'shrink', '--rf', '1')).code).toBe(0);
    let dropped = 0;
    for (const n of c.nodes) {
      const r = await runCli(['cleanup', '--json', '--node', n.address], env);
      expect(r.code, r.stderr).toBe(0);
      const result = json(r.stdout);
      expect(result.hostId).toBe(n.hostId);
      dropped += result.dropped as number;
    }
    // Each key had two copies and keeps one.
    expect(dropped).toBe(keys.length);
    const reads = await cli(
      'repl',
      '--keyspace',
      'shrink',
      '--json',
      '-e',
      keys.map((k) => `get ${k} ALL`).join('; '),
    );
    expect(reads.code, reads.stderr).toBe(0);
    for (const line of reads.stdout.trim().split('\n'))
      expect(JSON.parse(line)).toMatchObject({ found: true });

    // Back to two copies: repair has every key to stream again, so the copies were really gone.
    expect((await cli('keyspace', 'alter', 'shrink', '--rf', '2')).code).toBe(0);
    const repair = await cli('repair', '--keyspace', 'shrink', '--json');
    expect(repair.code, repair.stderr).toBe(0);
    expect(json(repair.stdout).keysStreamed).toBe(keys.length);
  });

  it('decommission refuses to leave fewer nodes than a keyspace has replicas, and says how to lower it', async () => {
    const r = await cli('decommission');
    expect(r.code, r.stderr).toBe(1);
    expect(oneLine(r.stderr)).toBe(
      'error REFUSED: cannot decommission: keyspace default needs it (1 node would remain for RF 3); add a node first, or lower its replication: ringkv keyspace alter default --rf 1',
    );
    expect(json((await cli('status', '--json')).stdout).nodes).toHaveLength(2);
  });

  it('an unknown consistency level exits 2 and lists the valid ones', async () => {
    const r = await cli('put', 'k', 'v', '--cl', 'most', '--json');
    expect(r.code).toBe(2);
    const line = oneLine(r.stderr);
    expect(line).toMatch(/^error USAGE: /);
    for (const cl of [
      'any',
      'one',
      'two',
      'three',
      'quorum',
      'local_one',
      'local_quorum',
      'each_quorum',
      'all',
    ]) {
      expect(line).toContain(cl);
    }
    expect(json(r.stdout)).toMatchObject({ error: { code: 'USAGE' } });
    const typo = await cli('get', 'k', '--cl', 'quorom');
    expect(typo.code).toBe(2);
    expect(oneLine(typo.stderr)).toBe(
      'error USAGE: unknown consistency level "quorom": did you mean QUORUM?',
    );
  });

  it('an unknown flag exits 2 and names the flag it most likely meant', async () => {
    const r = await cli('put', 'k', 'v', '--keyspce', 'ks', '--json');
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toBe(
      'error USAGE: unknown flag --keyspce (did you mean --keyspace?): ringkv put --help lists its flags',
    );
    expect(json(r.stdout)).toMatchObject({ error: { code: 'USAGE' } });
    const none = await cli('get', 'k', '--zzzz');
    expect(none.code).toBe(2);
    expect(oneLine(none.stderr)).toBe('error USAGE: unknown flag --zzzz: ringkv get --help lists its flags');
  });

  it('a keyspace name no keyspace can have exits 2 before anything is sent', async () => {
    const problem =
      'keyspace name "ks-1" is not valid: use letters, digits and _, starting with a letter, at most 48 characters';
    const put = await cli('put', 'k', 'v', '--keyspace', 'ks-1');
    expect(put.code, put.stderr).toBe(2);
    expect(oneLine(put.stderr)).toBe(`error USAGE: Parsing --keyspace: ${problem} (see --help)`);
    const create = await cli('keyspace', 'create', 'ks-1', '--rf', '2');
    expect(create.code, create.stderr).toBe(2);
    expect(oneLine(create.stderr)).toBe(`error USAGE: ${problem}`);
  });

  it('a keyspace that does not exist says how to create it, whichever command names it', async () => {
    const remedy = 'keyspace "nope" does not exist: create it with "ringkv keyspace create nope"';
    for (const args of [['put', 'k', 'v'], ['status'], ['endpoints', 'k'], ['repair']]) {
      const r = await cli(...args, '--keyspace', 'nope');
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(1);
      expect(oneLine(r.stderr)).toBe(`error INVALID_REQUEST: ${remedy}`);
    }
    const alter = await cli('keyspace', 'alter', 'nope', '--rf', '2');
    expect(alter.code, alter.stderr).toBe(1);
    expect(oneLine(alter.stderr)).toBe(`error INVALID_REQUEST: ${remedy}`);
  });

  it('an unknown command, or a word a command does not take, is a usage error in the same form', async () => {
    const typo = await runCli(['statu', '--json']);
    expect(typo.code).toBe(2);
    expect(oneLine(typo.stderr)).toBe('error USAGE: unknown command "statu": did you mean "ringkv status"?');
    expect(json(typo.stdout)).toMatchObject({ error: { code: 'USAGE' } });
    const extra = await runCli(['hints', 'truncate', 'some-host']);
    expect(extra.code).toBe(2);
    expect(oneLine(extra.stderr)).toBe(
      'error USAGE: unexpected argument "some-host" for "ringkv hints truncate" (see ringkv hints truncate --help)',
    );
  });

  it('an unreachable --node exits 3, saying what to do', async () => {
    const port = await freePort();
    const r = await runCli(['get', 'k', '--node', `ws://127.0.0.1:${port}`, '--json'], env);
    expect(r.code).toBe(3);
    expect(oneLine(r.stderr)).toMatch(
      /^error NO_HOST_AVAILABLE: .*: start a node with "ringkv start", or pass --node/,
    );
    expect(json(r.stdout)).toMatchObject({
      error: { code: 'NO_HOST_AVAILABLE', hint: expect.stringContaining('--node') as unknown },
    });
  });

  it('a wrong or missing secret is refused with UNAUTHORIZED and the node stays up', async () => {
    const wrong = await runCli(['get', 'k', '--node', node, '--json'], { RINGKV_SECRET: 'not-it' });
    expect(wrong.code).toBe(1);
    expect(oneLine(wrong.stderr)).toMatch(/^error UNAUTHORIZED: .*: check --secret or RINGKV_SECRET$/);
    expect(json(wrong.stdout)).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    const none = await runCli(['get', 'k', '--node', node]);
    expect(none.code).toBe(1);
    expect(oneLine(none.stderr)).toMatch(/^error UNAUTHORIZED: /);
    expect((await cli('put', 'after-auth', 'v', '--cl', 'two')).code).toBe(0);
  });

  it('garbage sent to the port does not disturb another client', async () => {
    const client = await c.client({ contactPoints: [node], secret: SECRET, route: 'rr' });
    await client.put('calm', 'before', { keyspace: 'default', cl: 'TWO' });

    // A WebSocket that skips the handshake and sends bytes that are no frame at all.
    const ws = new WebSocket(node, { perMessageDeflate: false });
    ws.on('error', () => undefined);
    const closed = new Promise<void>((r) => ws.once('close', () => r()));
    await new Promise<void>((r, reject) => {
      ws.once('open', () => r());
      ws.once('error', reject);
    });
    ws.send(Buffer.from([0xc1, 0xff, 0x00, 0x13, 0x37, 0xde, 0xad, 0xbe, 0xef]));
    ws.send('not even binary');
    await closed;

    // Plain TCP noise on the same port.
    const { connect } = await import('node:net');
    const port = Number(new URL(node).port);
    await new Promise<void>((r) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write('GARBAGE\r\n\r\n\x00\x01\x02');
      });
      socket.on('error', () => r());
      socket.on('close', () => r());
      setTimeout(() => socket.destroy(), 500);
    });

    await client.put('calm', 'after', { keyspace: 'default', cl: 'TWO' });
    expect((await client.get('calm', { keyspace: 'default', cl: 'ONE' })).value).toBe('after');
  });
});

describe('ringkv start and stop', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  // Made in beforeAll: a folder made while tests are collected outlives a run that skips them all.
  let root = '';
  const pids: number[] = [];
  let blocker: Server | undefined;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'ringkv-it-cli-'));
  });

  afterAll(async () => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await new Promise<void>((r) => (blocker ? blocker.close(() => r()) : r()));
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /**
   * Starts a node with --detach for each name, each seeded by those before it; `lastArgs` go to the
   * last one only. The addresses, in order.
   */
  async function startOneAfterAnother(names: string[], lastArgs: string[] = []): Promise<string[]> {
    const addresses: string[] = [];
    for (const [i, name] of names.entries()) {
      const seeds = addresses.length > 0 ? ['--seeds', addresses.join(',')] : [];
      const extra = i === names.length - 1 ? lastArgs : [];
      const r = await runCli([
        'start',
        '--detach',
        '--port',
        '0',
        '--data',
        join(root, name),
        '--ring-delay',
        '1000',
        ...extra,
        ...seeds,
        '--json',
      ]);
      expect(r.code, r.stderr).toBe(0);
      const doc = json(r.stdout) as { address: string; pid: number };
      pids.push(doc.pid);
      addresses.push(doc.address);
    }
    return addresses;
  }

  it('a node in the foreground stops cleanly on SIGINT, SIGTERM and SIGHUP (a closed terminal)', async () => {
    const c = new TestCluster();
    try {
      const nodes = await c.start(3);
      for (const [i, signal] of (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).entries()) {
        const node = nodes[i] as (typeof nodes)[number];
        const child = node.child;
        await c.kill(node, signal);
        const tail = node.log.slice(-3).join('\n');
        expect(child?.exitCode, `${signal}: ${tail}`).toBe(0);
        expect(
          node.log.some((l) => l.includes('stopping') && l.includes(`reason=${signal}`)),
          tail,
        ).toBe(true);
      }
    } finally {
      await c.stopAll();
    }
  });

  it('--detach prints address, pid and host id; stop stops that node; started again, it keeps its port and place', async () => {
    const data = join(root, 'detached');
    const started = await runCli([
      'start',
      '--detach',
      '--port',
      '0',
      '--data',
      data,
      '--dc',
      'west',
      '--rack',
      'r2',
      '--json',
    ]);
    expect(started.code).toBe(0);
    const doc = json(started.stdout) as { address: string; pid: number; hostId: string };
    pids.push(doc.pid);
    expect(doc.address).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect(doc.pid).toBeGreaterThan(0);
    expect(typeof doc.hostId).toBe('string');

    expect((await runCli(['put', 'k', 'v', '--node', doc.address])).code).toBe(0);
    const stop = await runCli(['stop', '--node', doc.address, '--json']);
    expect(stop.code).toBe(0);
    expect(json(stop.stdout)).toEqual({ hostId: doc.hostId });

    // Started again with --port 0, it takes its last port: peers and their seeds name that
    // address. Without --dc and --rack it stays where it stood, as it keeps its tokens.
    const again = await runCli(['start', '--detach', '--port', '0', '--data', data, '--json']);
    expect(again.code).toBe(0);
    const doc2 = json(again.stdout) as { address: string; pid: number; hostId: string };
    pids.push(doc2.pid);
    expect(doc2).toMatchObject({ address: doc.address, hostId: doc.hostId });
    const status = await runCli(['status', '--node', doc2.address, '--json']);
    expect(json(status.stdout).nodes).toMatchObject([{ hostId: doc.hostId, dc: 'west', rack: 'r2' }]);
    expect((await runCli(['stop', '--node', doc2.address])).code).toBe(0);

    // stop returns once the node has closed its storage: the folder is free at once. It belongs to
    // cluster "ringkv", so a node of another cluster refuses to start on it (not "in use").
    const other = await runCli(['start', '--port', '0', '--data', data, '--cluster-name', 'other']);
    expect(other.code).not.toBe(0);
    expect(oneLine(other.stderr)).toMatch(/^error [A-Z_]+: .*cluster/);
    await until('the detached node exits', () => {
      try {
        process.kill(doc.pid, 0);
        return false;
      } catch {
        return true;
      }
    });
  });

  it('nodes started one after another with --detach take a write at ALL at once, as a CI job does', async () => {
    // Each start returns once every live node sees the new one UP and NORMAL. Returning when only
    // the node itself had joined left the first node seeing the third JOINING: a pending replica,
    // so ALL needed 4 acks of 3 nodes and failed in three runs of four.
    const addresses = await startOneAfterAnother(['ci-a', 'ci-b', 'ci-c']);
    const [first, , last] = addresses as [string, string, string];
    const put = await runCli(['put', 'ci', 'loaded', '--cl', 'all', '--node', first, '--json']);
    expect(put.code, put.stderr).toBe(0);
    expect((json(put.stdout) as { acks: string[] }).acks).toHaveLength(3);
    const get = await runCli(['get', 'ci', '--cl', 'all', '--node', last, '--json']);
    expect(get.code, get.stderr).toBe(0);
    expect(json(get.stdout)).toMatchObject({ found: true, value: 'loaded' });
    for (const address of addresses) expect((await runCli(['stop', '--node', address])).code).toBe(0);
  });

  it('join returns once every live node takes the node for a member, as start --detach does', async () => {
    const addresses = await startOneAfterAnother(['join-a', 'join-b', 'join-c'], ['--no-join']);
    const [first, , waiting] = addresses as [string, string, string];
    // Its JOINING with no tokens would read as a join under way: status says what it waits for.
    const status = await runCli(['status', '--node', waiting]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(
      `(${waiting}) holds no tokens yet: it is picking them, or it was started with --no-join and waits for \`ringkv join --node ${waiting}\``,
    );
    // A node outside the ring has nothing it may judge as not its own.
    const cleanup = await runCli(['cleanup', '--node', waiting]);
    expect(cleanup.code).toBe(1);
    expect(oneLine(cleanup.stderr)).toBe(
      'error REFUSED: this node is JOINING: run cleanup once it is NORMAL (see ringkv status)',
    );
    const joined = await runCli(['join', '--node', waiting, '--json']);
    expect(joined.code, joined.stderr).toBe(0);
    const { hostId } = json(joined.stdout) as { hostId: string; tokens: number };
    expect(json(joined.stdout)).toMatchObject({ tokens: 16 });
    // At once, a node that had to hear of the join by gossip takes it for a member: not a pending
    // replica a write at ALL would count on top of the CL.
    const view = await viewFrom(first, { clusterName: 'ringkv' });
    expect(view.find((n) => n.hostId === hostId)).toMatchObject({ state: 'UP', status: 'NORMAL' });
    const put = await runCli(['put', 'joined', 'v', '--cl', 'all', '--node', first, '--json']);
    expect(put.code, put.stderr).toBe(0);
    expect((json(put.stdout) as { acks: string[] }).acks).toHaveLength(3);
    for (const address of addresses) expect((await runCli(['stop', '--node', address])).code).toBe(0);
  });

  it('a data center name peers would refuse in gossip exits 2 before the node starts', async () => {
    const r = await runCli(['start', '--port', '0', '--data', join(root, 'bad-dc'), '--dc', 'dc 1']);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toBe(
      'error USAGE: Parsing --dc: data center name "dc 1" is not valid: use 1 to 64 characters without spaces, commas or colons (see --help)',
    );
  });

  it('--log-file without --detach, or a file where the data folder goes, is one line before the node starts', async () => {
    const log = await runCli([
      'start',
      '--port',
      '0',
      '--data',
      join(root, 'fg'),
      '--log-file',
      join(root, 'fg.log'),
    ]);
    expect(log.code).toBe(2);
    expect(oneLine(log.stderr)).toBe(
      'error USAGE: --log-file needs --detach; in the foreground the node logs to stdout, or stderr with --json (redirect it)',
    );
    writeFileSync(join(root, 'a-file'), '');
    const data = await runCli(['start', '--port', '0', '--data', join(root, 'a-file')]);
    expect(data.code).toBe(1);
    expect(oneLine(data.stderr)).toBe(
      `error REFUSED: cannot create data folder ${join(root, 'a-file')}: a file is in the way: pick another --data, or move what is there`,
    );
  });

  it('a port in use is one clear line and a non-zero exit', async () => {
    const server = createServer();
    blocker = server;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const r = await runCli(['start', '--port', String(port), '--data', join(root, 'busy')]);
    expect(r.code).not.toBe(0);
    expect(oneLine(r.stderr)).toMatch(new RegExp(`^error [A-Z_]+: .*${port}`));
  });
});

describe('ringkv start: its output and its refusals', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  let root = '';
  const pids: number[] = [];

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'ringkv-it-start-'));
  });

  afterAll(() => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** A start --detach --json that should be refused; a node it started anyway is stopped with the rest. */
  async function refusedDetach(args: string[]): Promise<{ code: number; stderr: string }> {
    const r = await runCli(['start', '--detach', '--port', '0', ...args, '--json']);
    const doc = JSON.parse(r.stdout || '{}') as { pid?: number; error?: { code: string } };
    if (doc.pid !== undefined) pids.push(doc.pid);
    expect(doc.error?.code, r.stdout).toBe('REFUSED');
    return r;
  }

  it('--detach with a --log-file it cannot write is one line saying what to do, not a bug', async () => {
    const log = join(root, 'no-such-folder', 'node.log');
    const r = await refusedDetach(['--data', join(root, 'log-missing'), '--log-file', log]);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toBe(
      `error REFUSED: cannot write the node's log ${log}: its folder does not exist: make its folder, or pick another --log-file`,
    );
    const folder = await refusedDetach(['--data', join(root, 'log-folder'), '--log-file', root]);
    expect(oneLine(folder.stderr)).toBe(
      `error REFUSED: cannot write the node's log ${root}: it is a folder: pick another --log-file`,
    );
  });

  it('a node beyond loopback without a secret is refused before anything is made, detached or not', async () => {
    const expected =
      'error REFUSED: refusing to listen on 0.0.0.0 without a cluster secret: anyone who reaches it could read and write; pass --secret (or RINGKV_SECRET), or --insecure on a trusted network';
    const detachedData = join(root, 'open-detached');
    const detached = await refusedDetach(['--host', '0.0.0.0', '--data', detachedData]);
    expect(detached.code).toBe(1);
    expect(oneLine(detached.stderr)).toBe(expected);
    const foregroundData = join(root, 'open-foreground');
    // A node that starts anyway dies with this process, and the race fails the test instead of hanging it.
    const foreground = await Promise.race([
      runCli(['start', '--host', '0.0.0.0', '--port', '0', '--data', foregroundData], {
        RINGKV_EXIT_WITH_PID: String(process.pid),
      }),
      delay(30_000, undefined, { ref: false }).then(() => ({
        code: -1,
        stdout: '',
        stderr: 'still running after 30 s',
      })),
    ]);
    expect(foreground.code).toBe(1);
    expect(oneLine(foreground.stderr)).toBe(expected);
    // Neither made its data folder (nor, detached, the log in it).
    expect(existsSync(detachedData)).toBe(false);
    expect(existsSync(foregroundData)).toBe(false);
  });

  it('a row cache larger than half the JavaScript heap is a usage error before anything is made', async () => {
    const data = join(root, 'huge-row-cache');
    // 1 TiB: more than half of any heap this machine gives a Node process.
    const r = await runCli(['start', '--detach', '--port', '0', '--data', data, '--row-cache-mb', '1048576']);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(
      /^error USAGE: --row-cache-mb 1048576: a row cache of 1048576 MiB is more than half of this process's JavaScript heap \(\d+ MiB\): use at most \d+, or raise the heap with NODE_OPTIONS=--max-old-space-size=<MiB>$/,
    );
    expect(existsSync(data)).toBe(false);
  });

  // Root writes wherever it likes: a folder's permissions refuse nothing then.
  it.skipIf(process.getuid?.() === 0)(
    '--detach on a data folder it cannot write says so as the foreground start does',
    async () => {
      const data = join(root, 'read-only');
      mkdirSync(data);
      chmodSync(data, 0o555);
      try {
        const expected = `error REFUSED: data folder ${data} is not writable: fix its permissions or pick another --data`;
        const detached = await refusedDetach(['--data', data]);
        expect(oneLine(detached.stderr)).toBe(expected);
        const foreground = await runCli(['start', '--port', '0', '--data', data]);
        expect(foreground.code).toBe(1);
        expect(oneLine(foreground.stderr)).toBe(expected);
      } finally {
        chmodSync(data, 0o755);
      }
    },
  );

  it('in the foreground, --json prints one document once the node accepts requests, and logs to stderr', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'start', '--port', '0', '--data', join(root, 'fg-json'), '--json'],
      // The node dies with this process even if the test fails before it stops the node.
      { env: { ...process.env, RINGKV_SECRET: '', RINGKV_EXIT_WITH_PID: String(process.pid) } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const parsed = () => JSON.parse(stdout) as { address: string; pid: number; hostId: string };
      await until('the document on stdout', () => parsed().address !== undefined);
      const doc = parsed();
      expect(Object.keys(doc).sort()).toEqual(['address', 'hostId', 'pid']);
      expect(doc.pid).toBe(child.pid);
      expect(stderr).toContain(`node is accepting requests address=${doc.address} hostId=${doc.hostId}`);
      const view = await viewFrom(doc.address, { clusterName: 'ringkv' });
      expect(view.map((n) => n.hostId)).toEqual([doc.hostId]);

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(parsed()).toEqual(doc);
      expect(stderr).toContain('stopping reason=SIGTERM');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});

describe('the ringkv binary', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it("runs React's production build unless NODE_ENV says otherwise", async () => {
    // Unset, React loads its development build: three times the cost of every REPL render.
    const dir = mkdtempSync(join(tmpdir(), 'ringkv-env-'));
    try {
      const hook = join(dir, 'hook.mjs');
      writeFileSync(
        hook,
        "process.on('exit', () => process.stderr.write(`NODE_ENV=${process.env.NODE_ENV}\\n`));\n",
      );
      const run = (env: Record<string, string | undefined>) =>
        new Promise<string>((resolve) => {
          const child = spawn(process.execPath, ['--import', hook, BIN, '--version'], {
            env: { ...process.env, ...env },
            stdio: ['ignore', 'ignore', 'pipe'],
          });
          let stderr = '';
          child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
          child.on('exit', () => resolve(stderr));
        });
      const [unset, set] = await Promise.all([
        run({ NODE_ENV: undefined }),
        run({ NODE_ENV: 'development' }),
      ]);
      expect(unset).toContain('NODE_ENV=production');
      expect(set).toContain('NODE_ENV=development');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ringkv help', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('prints what --help prints, for the root, a topic and a command of a topic', async () => {
    const subjects = [[], ['keyspace'], ['keyspace', 'create']];
    const pairs = subjects.map((words) =>
      Promise.all([runCli(['help', ...words]), runCli([...words, '--help'])]),
    );
    for (const [help, flag] of await Promise.all(pairs)) {
      expect(help.code, help.stderr).toBe(0);
      expect(help.stderr).toBe('');
      expect(help.stdout).toBe(flag.stdout);
      expect(help.stdout).toMatch(/USAGE\n {2}\$ ringkv /);
    }
  });

  it('gives a command, a topic and the root as one JSON document with --json', async () => {
    const [put, topic, root, nosuch] = await Promise.all([
      runCli(['help', 'put', '--json']),
      runCli(['help', 'keyspace', '--json']),
      runCli(['help', '--json']),
      runCli(['help', 'nosuch', '--json']),
    ]);
    for (const r of [put, topic, root]) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
    }
    const command = JSON.parse(put.stdout) as {
      command: string;
      args: { name: string; required: boolean }[];
      flags: { name: string; type: string; options: string[] | null; default: unknown; env: string | null }[];
      examples: string[];
    };
    expect(command.command).toBe('put');
    expect(command.args.map((a) => [a.name, a.required])).toEqual([
      ['key', true],
      ['value', false],
    ]);
    const flag = (name: string) => command.flags.find((f) => f.name === name);
    expect(flag('cl')).toMatchObject({ type: 'option', default: 'one' });
    expect(flag('node')).toMatchObject({ type: 'option', env: 'RINGKV_NODE' });
    expect(flag('trace')).toMatchObject({ type: 'boolean' });
    expect(flag('route')?.options).toContain('token');
    expect(command.examples).toContain('ringkv put user:1 alice --cl quorum');
    expect(JSON.parse(topic.stdout)).toEqual({
      topic: 'keyspace',
      commands: [
        { command: 'keyspace alter', summary: expect.any(String) },
        { command: 'keyspace create', summary: expect.any(String) },
        { command: 'keyspace list', summary: expect.any(String) },
      ],
    });
    const list = JSON.parse(root.stdout) as { topic: null; commands: { command: string }[] };
    expect(list.topic).toBeNull();
    expect(list.commands.map((c) => c.command)).toEqual(
      expect.arrayContaining(['put', 'help', 'hints list']),
    );
    expect(nosuch.code).toBe(2);
    expect(JSON.parse(nosuch.stdout)).toMatchObject({ error: { code: 'USAGE' } });
  });

  it('names a command it does not know as any unknown command is named, exit 2', async () => {
    const [nosuch, typo] = await Promise.all([
      runCli(['help', 'nosuch']),
      runCli(['help', 'keyspace', 'creat']),
    ]);
    expect(nosuch.code).toBe(2);
    expect(oneLine(nosuch.stderr)).toBe(
      'error USAGE: unknown command "nosuch": "ringkv --help" lists the commands',
    );
    expect(nosuch.stdout).toBe('');
    expect(typo.code).toBe(2);
    expect(oneLine(typo.stderr)).toBe(
      'error USAGE: unknown command "keyspace creat": did you mean "ringkv keyspace create"?',
    );
  });
});
