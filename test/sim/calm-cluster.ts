import { expect } from 'vitest';
import { silentLogger, type HostId } from '../../src/node/world.js';
import { SimCluster } from './cluster.js';
import { SimNetwork } from './network.js';
import { Prng } from './prng.js';
import { VirtualTime } from './virtual-time.js';

export const GOSSIP_MS = 100;

/** Three nodes on a calm simulated network, each seeing the others UP. */
export async function calmCluster() {
  const time = new VirtualTime();
  const rng = new Prng(1);
  const network = new SimNetwork(time, rng.fork());
  const cluster = new SimCluster(
    time,
    network,
    rng.fork(),
    {
      nodes: 3,
      numTokens: 4,
      gossipIntervalMs: GOSSIP_MS,
      requestTimeoutMs: 200,
      maxSkewMs: 0,
      maxSyncMs: 1,
      ringDelayMs: 600,
      gcGraceSeconds: 864_000,
    },
    () => silentLogger,
    () => {},
  );
  await cluster.boot();
  expect(await time.runUntil(() => cluster.converged(), 20_000)).toBe(true);
  // Who convicted whom from here on.
  const convictions: string[] = [];
  for (const n of cluster.running()) {
    n.node?.membership.on((e) => {
      if (e.kind === 'down') convictions.push(`${n.hostId} -> ${e.hostId}`);
    });
  }
  const sees = (viewer: HostId, peer: HostId) => cluster.byId(viewer).node?.membership.isAlive(peer) ?? false;
  return { time, cluster, convictions, sees };
}
