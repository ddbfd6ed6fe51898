import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Ringkv } from '../../src/index.js';
import { nth, TestCluster, until } from '../support/cluster.js';
import { rejectionOf } from '../support/errors.js';
import { replicasOf } from './support/replicas.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('ringkv as a library, against three nodes', () => {
  const c = new TestCluster();
  const opened: Ringkv[] = [];
  const open = async (options: Omit<Parameters<typeof connect>[0], 'contactPoints'> = {}) => {
    const db = await connect({ contactPoints: c.addresses(), ...options });
    opened.push(db);
    return db;
  };

  beforeAll(async () => {
    await c.start(3);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(opened.map((db) => db.close()));
    await c.stopAll();
  });

  it('writes and reads bytes as stored, at the CL asked, and deletes with a tombstone', async () => {
    const db = await open({ cl: 'quorum' });
    const bytes = new Uint8Array([0, 0xff, 0xc3, 0x28, 0x80]); // not UTF-8
    const put = await db.put('lib:bin', bytes);
    expect(put.cl).toBe('QUORUM');
    expect(put.acks.length).toBeGreaterThanOrEqual(2);
    const got = await db.get('lib:bin', { cl: 'ALL' });
    expect(got.found).toBe(true);
    expect(got.cl).toBe('ALL');
    expect(got.value).toBeInstanceOf(Uint8Array);
    // Its own bytes, not a view into a network frame.
    expect(got.value?.byteLength).toBe(got.value?.buffer.byteLength);
    expect([...(got.value ?? [])]).toEqual([...bytes]);
    expect(got.timestamp).toBe(put.timestamp);
    expect(got.replicas.sort()).toEqual(replicasOf(db.client, 'default', 'lib:bin').sort());

    await db.put('lib:text', 'héllo');
    expect(Buffer.from((await db.get('lib:text')).value ?? []).toString('utf8')).toBe('héllo');

    const del = await db.delete('lib:bin');
    expect(del.timestamp).toBeGreaterThan(put.timestamp);
    const gone = await db.get('lib:bin', { cl: 'ALL' });
    expect(gone.found).toBe(false);
    expect(gone.value).toBeUndefined();
  });

  it('takes the keyspace and CL of each request over its defaults, and traces on request', async () => {
    const db = await open();
    await db.client.createKeyspace('lib_one', { strategy: 'simple', rf: 1 });
    const put = await db.put('k', 'v', { keyspace: 'lib_one', ttl: 3600, trace: true });
    expect(put.keyspace).toBe('lib_one');
    expect(put.cl).toBe('ONE');
    expect(put.acks).toHaveLength(1);
    expect(put.trace?.length).toBeGreaterThan(0);
    const got = await db.get('k', { keyspace: 'lib_one' });
    expect(got.found).toBe(true);
    // RF 1 has no QUORUM of 2 to offer; the default keyspace has no such key.
    expect((await db.get('k')).found).toBe(false);
  });

  it('coordinates from the client when asked, with the same results', async () => {
    const db = await open({ coordination: 'client', cl: 'ALL' });
    const put = await db.put('lib:client', 'v');
    expect(put.coordinator).toBe('client');
    expect(put.acks).toHaveLength(3);
    const got = await db.get('lib:client');
    expect(Buffer.from(got.value ?? []).toString()).toBe('v');
  });

  it('rejects bad options and failed requests with a RingkvError that has a code', async () => {
    const db = await open();
    expect((await rejectionOf(db.get('k', { cl: 'most' as 'one' }))).code).toBe('USAGE');
    expect((await rejectionOf(db.put('k', 'v', { keyspace: 'no such' }))).code).toBe('USAGE');
    const nothing = null as unknown as string;
    expect((await rejectionOf(db.put('k', nothing))).message).toBe(
      'the value must be a string or a Uint8Array, not null',
    );
    expect((await rejectionOf(db.get(42 as unknown as string))).message).toBe(
      'the key must be a string or a Uint8Array, not number',
    );
    expect((await rejectionOf(db.get('k', { keyspace: 'nowhere' }))).code).toBe('INVALID_REQUEST');
    expect((await rejectionOf(db.put('k', 'v', { keyspace: 'lib_one', cl: 'TWO' }))).code).toBe(
      'UNAVAILABLE',
    );
    expect((await rejectionOf(connect({ contactPoints: 'http://x:1' }))).code).toBe('USAGE');
    expect(
      (await rejectionOf(connect({ contactPoints: c.addresses(), route: 'nearest' as 'rr' }))).code,
    ).toBe('USAGE');
    expect((await rejectionOf(connect({ contactPoints: c.addresses(), timeoutMs: 0 }))).code).toBe('USAGE');
    const dead = await rejectionOf(connect({ contactPoints: 'ws://127.0.0.1:1', timeoutMs: 500 }));
    expect(dead.code).toBe('NO_HOST_AVAILABLE');
  });

  it('is what `import "ringkv"` gives a program, with its types', async () => {
    expect(readFileSync(`${ROOT}/dist/index.d.ts`, 'utf8')).toContain('export declare function connect(');
    const script = `
      import { connect, CONSISTENCY_LEVELS } from 'ringkv';
      const db = await connect({ contactPoints: process.argv[1] });
      await db.put('lib:pkg', new Uint8Array([1, 2, 3]), { cl: 'quorum' });
      const got = await db.get('lib:pkg', { cl: 'quorum' });
      await db.close();
      console.log(JSON.stringify({ levels: CONSISTENCY_LEVELS.length, value: [...got.value] }));
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', script, c.addresses().join(',')],
      { cwd: ROOT, timeout: 20_000 },
    );
    expect(JSON.parse(stdout)).toEqual({ levels: 9, value: [1, 2, 3] });
  });

  // Last: it kills a node for good.
  it('goes on through a SIGKILLed node: past it as a contact point, around it as a coordinator', async () => {
    const db = await open({ cl: 'quorum' });
    for (let i = 0; i < 20; i++) await db.put(`lib:kill:${i}`, `v${i}`, { cl: 'ALL' });
    const dead = nth(c, 0);
    await c.kill(dead, 'SIGKILL');
    // A program started now lists the dead node first; the connection goes on to the next.
    const later = await open({ cl: 'quorum', timeoutMs: 1000 });
    for (let i = 0; i < 20; i++) {
      const got = await later.get(`lib:kill:${i}`);
      expect(Buffer.from(got.value ?? []).toString()).toBe(`v${i}`);
      await later.put(`lib:kill:${i}`, `w${i}`);
      expect(Buffer.from((await db.get(`lib:kill:${i}`)).value ?? []).toString()).toBe(`w${i}`);
    }
    // Once the survivors have convicted it, ALL is refused up front for a key it held.
    const held = Array.from({ length: 20 }, (_, i) => `lib:kill:${i}`).find((key) =>
      replicasOf(later.client, 'default', key).includes(dead.hostId),
    );
    expect(held).toBeDefined();
    await until(
      'a read at ALL of a key the dead node held is UNAVAILABLE',
      async () => (await rejectionOf(later.get(held ?? '', { cl: 'ALL' }))).code === 'UNAVAILABLE',
    );
  });
});
