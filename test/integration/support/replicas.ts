import type { RingkvClient } from '../../../src/client/client.js';
import type { ConsistencyLevel } from '../../../src/protocol/consistency.js';
import { tokenOf } from '../../../src/ring/partitioner.js';
import { until } from '../../support/cluster.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A replica's own cell for a key, read without coordination or repair. */
export async function localCell(
  client: RingkvClient,
  hostId: string,
  keyspace: string,
  key: string,
): Promise<{ value: string | null; timestamp: number } | undefined> {
  const r = await client.sendTo(hostId, 'replica_read', { keyspace, key: encoder.encode(key) });
  if (!r.cell) return undefined;
  return {
    value: r.cell.value === null ? null : decoder.decode(r.cell.value),
    timestamp: r.cell.timestamp,
  };
}

/** The key's replicas as the client's current topology places them. */
export function replicasOf(client: RingkvClient, keyspace: string, key: string): string[] {
  return client
    .currentTopology()
    .replicas(keyspace, tokenOf(encoder.encode(key)))
    .map((n) => n.hostId);
}

/**
 * Keys (of `expected`) that some replica does not hold with the expected value, checking each
 * replica's local data. Refreshes the topology first so placement is the cluster's current one.
 */
export async function missingOnReplicas(
  client: RingkvClient,
  keyspace: string,
  expected: Map<string, string | null>,
  nameOf: (hostId: string) => string = (h) => h.slice(0, 8),
  concurrency = 64,
): Promise<string[]> {
  // A view without the keyspace places no key anywhere, and would find nothing missing.
  await until(`the client knows keyspace ${keyspace}`, async () => {
    await client.refreshTopology();
    return client.currentTopology().replication(keyspace) !== undefined;
  });
  const missing: string[] = [];
  const checks: [string, string][] = [];
  for (const key of expected.keys()) {
    for (const hostId of replicasOf(client, keyspace, key)) checks.push([key, hostId]);
  }
  await inParallel(checks, concurrency, async ([key, hostId]) => {
    const cell = await localCell(client, hostId, keyspace, key);
    const want = expected.get(key);
    const ok = want === null ? cell === undefined || cell.value === null : cell?.value === want;
    if (!ok) missing.push(`${key}@${nameOf(hostId)}=${cell ? String(cell.value) : 'absent'}`);
  });
  return missing;
}

/** Runs `work` over items with at most `limit` in flight; rejects with the first failure. */
export async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await work(items[i] as T, i);
    }
  });
  await Promise.all(lanes);
}

/** Writes `count` keys `${prefix}${i}` with value `v${i}` and returns what was acknowledged. */
export async function writeKeys(
  client: RingkvClient,
  opts: {
    keyspace: string;
    cl: ConsistencyLevel;
    prefix: string;
    count: number;
    concurrency: number;
    /** Pad each value to this many bytes (absent: `v<i>`). */
    valueBytes?: number;
  },
): Promise<Map<string, string>> {
  const acked = new Map<string, string>();
  const indexes = Array.from({ length: opts.count }, (_, i) => i);
  await inParallel(indexes, opts.concurrency, async (i) => {
    const key = `${opts.prefix}${i}`;
    const value = `v${i}`.padEnd(opts.valueBytes ?? 0, '.');
    await client.put(key, value, { keyspace: opts.keyspace, cl: opts.cl });
    acked.set(key, value);
  });
  return acked;
}
