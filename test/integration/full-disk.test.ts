import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RingkvError } from '../../src/protocol/errors.js';
import { nth, runCli, TestCluster, until } from '../support/cluster.js';
import { missingOnReplicas } from './support/replicas.js';

/** A full disk needs a small file system of its own: a tmpfs, which only root may mount. */
function canMountTmpfs(): boolean {
  const probe = mkdtempSync(join(tmpdir(), 'ringkv-it-mount-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

const mountable = canMountTmpfs();
if (!mountable) console.warn('full-disk tests skipped: this machine does not let the tests mount a tmpfs');

let cluster: TestCluster | undefined;
let mounted: string | undefined;

afterEach(async () => {
  // Unmounted first (lazily: its node may still run), or the cluster's folder could not be removed.
  if (mounted) execFileSync('umount', ['-l', mounted], { stdio: 'ignore' });
  await cluster?.stopAll();
  cluster = undefined;
  mounted = undefined;
});

/** Mounts a small tmpfs on the data folder the cluster will give its next node. */
function smallDiskFor(c: TestCluster, sizeMiB: number): string {
  const dataDir = join(c.root, `n${c.nodes.length}`);
  mkdirSync(dataDir);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m`, 'tmpfs', dataDir]);
  mounted = dataDir;
  return dataDir;
}

function fullDiskReason(dataDir: string): string {
  return `the disk of ${dataDir} is full: the node stops; free space, start it again, then run "ringkv repair"`;
}

const VALUE = 'v'.repeat(20_000);

describe.skipIf(!mountable)('a node whose disk fills up', () => {
  it(
    'answers the write that found it full with the reason, stops, and keeps every acknowledged write',
    {
      timeout: 60_000,
    },
    async () => {
      const c = new TestCluster();
      cluster = c;
      const dataDir = smallDiskFor(c, 2);
      const [node] = await c.start(1);
      if (!node) throw new Error('no node');
      const client = await c.client({ timeoutMs: 5000 });
      const acked = new Map<string, string>();
      let failure: RingkvError | undefined;
      for (let i = 0; failure === undefined && i < 1000; i++) {
        await client.put(`k${i}`, `${i}:${VALUE}`, { keyspace: 'default', cl: 'ONE' }).then(
          () => acked.set(`k${i}`, `${i}:${VALUE}`),
          (e: unknown) => (failure = e as RingkvError),
        );
      }
      // Not a timeout, and not a closed connection: the stopping node answered first.
      expect(failure?.code).toBe('WRITE_FAILURE');
      expect(failure?.message).toBe(
        `ONE needed 1 ack, got 0; ${node.hostId} failed it: ${fullDiskReason(dataDir)}; the write may have been applied on the replicas that took it`,
      );
      await until('the node exits', () => node.child === undefined);
      expect(node.log.at(-1)).toBe(`error SERVER_ERROR: ${fullDiskReason(dataDir)}`);

      // LevelDB's log may end in a torn record; the restart drops it, and only it.
      execFileSync('mount', ['-o', 'remount,size=64m', dataDir]);
      await c.restart(node);
      const after = await c.client({ timeoutMs: 5000 });
      for (const [key, value] of acked) {
        expect((await after.get(key, { keyspace: 'default', cl: 'ONE' })).value).toBe(value);
      }
      await after.put('after', 'restart', { keyspace: 'default', cl: 'ONE' });
    },
  );

  it(
    'leaves QUORUM writes to the other replicas, and is whole again after a restart and repair',
    {
      timeout: 120_000,
    },
    async () => {
      const c = new TestCluster();
      cluster = c;
      await c.start(2);
      const dataDir = smallDiskFor(c, 3);
      const full = await c.add();
      await c.settled();
      const client = await c.client({ contactPoints: [nth(c, 0).address], timeoutMs: 5000 });

      // Not one QUORUM write fails while the third replica's disk fills and it stops.
      const acked = new Map<string, string>();
      for (let i = 0; full.child !== undefined && i < 1000; i++) {
        await client.put(`k${i}`, `${i}:${VALUE}`, { keyspace: 'default', cl: 'QUORUM' });
        acked.set(`k${i}`, `${i}:${VALUE}`);
      }
      expect(full.child, 'the node with the full disk stopped').toBeUndefined();
      expect(full.log.at(-1)).toBe(`error SERVER_ERROR: ${fullDiskReason(dataDir)}`);
      for (let i = 0; i < 20; i++) {
        await client.put(`later${i}`, VALUE, { keyspace: 'default', cl: 'QUORUM' });
        acked.set(`later${i}`, VALUE);
      }

      // Room again and a restart: the hints the others stored and a repair bring it every
      // acknowledged write (one it coordinated as its disk failed left no hint anywhere).
      execFileSync('mount', ['-o', 'remount,size=64m', dataDir]);
      await c.restart(full);
      await c.settled();
      const repair = await runCli(['repair', '--node', full.address, '--json']);
      expect(repair.code, repair.stderr).toBe(0);
      expect(await missingOnReplicas(client, 'default', acked)).toEqual([]);
      await client.put('after', 'restart', { keyspace: 'default', cl: 'ALL' });
      expect((await client.get('after', { keyspace: 'default', cl: 'ALL' })).value).toBe('restart');
    },
  );
});
