import { describe, expect, it } from 'vitest';
import { calmCluster, GOSSIP_MS } from './calm-cluster.js';

describe('the ring a node builds from gossip', () => {
  it("is kept when a peer's load changes, and built again when its status does", async () => {
    const { time, cluster } = await calmCluster();
    const viewer = cluster.byId('n1').node;
    const peer = cluster.byId('n2').node;
    if (!viewer || !peer) throw new Error('nodes not running');
    const ring = viewer.membership.ring();
    const keyspaces = viewer.membership.keyspaces();

    // Every node gossips its load every 10 s; under writes it changes each time.
    peer.membership.updateLocal({ load: 123_456 });
    await time.runFor(10 * GOSSIP_MS);
    expect(viewer.membership.state('n2')?.load).toBe(123_456);
    expect(viewer.membership.ring()).toBe(ring);
    expect(viewer.membership.keyspaces()).toBe(keyspaces);

    peer.membership.updateLocal({ status: 'LEAVING' });
    await time.runFor(10 * GOSSIP_MS);
    expect(viewer.membership.state('n2')?.status).toBe('LEAVING');
    expect(viewer.membership.ring()).not.toBe(ring);
    // Leaving, n2 hands its ranges to others: writes to them go to those too.
    const pending = viewer.membership
      .ring()
      .tokens()
      .some((t) => viewer.membership.pendingReplicas({ strategy: 'simple', rf: 2 }, t).length > 0);
    expect(pending).toBe(true);
  });
});
