/**
 * A throwaway 3-member etcd cluster on loopback for comparison runs: Debian's etcd-server,
 * installed with apt-get when missing, members on ports picked at random, data in a temporary
 * folder that is removed with the members.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchTarget } from '../src/bench/runner.js';

const MEMBERS = 3;
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;

export interface EtcdCluster {
  clientUrls: string[];
  version: string;
  stop(): Promise<void>;
}

function which(command: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The etcd binary, installing Debian's etcd-server first when there is none. */
export function ensureEtcd(say: (line: string) => void): string {
  const found = which('etcd');
  if (found) return found;
  say('etcd is not installed: installing Debian package etcd-server with apt-get (needs root)...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  execFileSync('apt-get', ['install', '-y', '-qq', 'etcd-server'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env,
  });
  const installed = which('etcd');
  if (!installed) throw new Error('apt-get installed etcd-server but no etcd binary is on PATH');
  return installed;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startEtcd(binary: string): Promise<EtcdCluster> {
  const root = mkdtempSync(join(tmpdir(), 'ringkv-etcd-'));
  const ports = await Promise.all(Array.from({ length: MEMBERS * 2 }, freePort));
  const members = Array.from({ length: MEMBERS }, (_, i) => ({
    name: `m${i}`,
    client: `http://127.0.0.1:${ports[2 * i]}`,
    peer: `http://127.0.0.1:${ports[2 * i + 1]}`,
  }));
  const initialCluster = members.map((m) => `${m.name}=${m.peer}`).join(',');
  const children: ChildProcess[] = [];
  const logs: string[][] = members.map(() => []);
  const stop = async (): Promise<void> => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const force = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
            child.once('exit', () => {
              clearTimeout(force);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
    rmSync(root, { recursive: true, force: true });
  };
  try {
    members.forEach((m, i) => {
      const child = spawn(
        binary,
        [
          '--name',
          m.name,
          '--data-dir',
          join(root, m.name),
          '--listen-client-urls',
          m.client,
          '--advertise-client-urls',
          m.client,
          '--listen-peer-urls',
          m.peer,
          '--initial-advertise-peer-urls',
          m.peer,
          '--initial-cluster',
          initialCluster,
          '--initial-cluster-state',
          'new',
          '--initial-cluster-token',
          `bench-${process.pid}`,
          '--log-level',
          'warn',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ETCD_UNSUPPORTED_ARCH: '' } },
      );
      const keep = (chunk: Buffer) => {
        const log = logs[i] as string[];
        log.push(chunk.toString());
        if (log.length > 50) log.shift();
      };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      children.push(child);
    });
    const version = execFileSync(binary, ['--version'], { encoding: 'utf8' }).split('\n')[0] ?? 'etcd';
    const clientUrls = members.map((m) => m.client);
    await waitHealthy(clientUrls, children, logs);
    return { clientUrls, version: version.replace(/^etcd Version:\s*/, 'etcd '), stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

async function waitHealthy(urls: string[], children: ChildProcess[], logs: string[][]): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const dead = children.findIndex((c) => c.exitCode !== null);
    if (dead >= 0) throw new Error(`etcd member ${dead} exited: ${(logs[dead] ?? []).join('').slice(-2000)}`);
    const healthy = await Promise.all(
      urls.map((u) =>
        fetch(`${u}/health`)
          .then(async (r) => r.ok && ((await r.json()) as { health?: string }).health === 'true')
          .catch(() => false),
      ),
    );
    if (healthy.every(Boolean)) return;
    if (Date.now() > deadline) throw new Error(`etcd did not become healthy within ${READY_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The etcd3 client as a load generator target: puts and linearizable gets. */
export async function etcdTarget(urls: string[]): Promise<{ target: BenchTarget; close: () => void }> {
  const { Etcd3 } = await import('etcd3');
  const client = new Etcd3({ hosts: urls });
  return {
    target: {
      write: (key, value) =>
        client
          .put(key)
          .value(Buffer.from(value.buffer, value.byteOffset, value.byteLength))
          .exec(),
      read: (key) => client.get(key).buffer(),
    },
    close: () => client.close(),
  };
}
