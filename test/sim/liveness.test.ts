import { describe, expect, it } from 'vitest';
import { calmCluster, GOSSIP_MS } from './calm-cluster.js';

describe('failure detection', () => {
  it('a node that was paused convicts none of its peers when it runs again', async () => {
    const { time, cluster, convictions, sees } = await calmCluster();
    cluster.pause('n1');
    // Long enough for its peers to convict it, and for its own view of them to look as silent.
    await time.runFor(30 * GOSSIP_MS);
    expect(sees('n2', 'n1')).toBe(false);
    cluster.resume('n1');
    await time.runFor(20 * GOSSIP_MS);
    // Its peers said nothing it did not find waiting when it resumed: they were never down.
    expect(convictions.filter((c) => c.startsWith('n1 '))).toEqual([]);
    expect(sees('n1', 'n2') && sees('n1', 'n3') && sees('n2', 'n1')).toBe(true);
  });

  it('a peer that dies while a node is paused is still convicted after the pause', async () => {
    const { time, cluster, convictions, sees } = await calmCluster();
    cluster.pause('n1');
    await time.runFor(5 * GOSSIP_MS);
    cluster.crash('n3');
    await time.runFor(25 * GOSSIP_MS);
    cluster.resume('n1');
    await time.runFor(30 * GOSSIP_MS);
    expect(sees('n1', 'n3')).toBe(false);
    expect(sees('n1', 'n2')).toBe(true);
    expect(convictions.filter((c) => c.startsWith('n1 '))).toEqual(['n1 -> n3']);
  });

  it('a step of the wall clock, either way, convicts nobody', async () => {
    const { time, cluster, convictions } = await calmCluster();
    for (const step of [5_000, -5_000, 60_000]) {
      cluster.byId('n1').skewMs += step;
      await time.runFor(20 * GOSSIP_MS);
    }
    expect(convictions).toEqual([]);
  });
});

describe('marking a peer UP', () => {
  it('a restarted node does not take a dead peer for UP on a heartbeat another node relays', async () => {
    const { time, cluster, sees } = await calmCluster();
    cluster.crash('n3');
    await time.runFor(30 * GOSSIP_MS);
    expect(sees('n2', 'n3')).toBe(false);
    cluster.crash('n1');
    await time.settle(cluster.restart('n1'), 5000, 'restarting n1');
    // n2 still holds n3's last heartbeat, newer than the copy n1 saved: hearsay, not n3 itself.
    let sawDeadPeerUp = false;
    for (let i = 0; i < 40; i++) {
      await time.runFor(GOSSIP_MS / 2);
      sawDeadPeerUp ||= sees('n1', 'n3');
    }
    expect(sees('n1', 'n2')).toBe(true);
    expect(sawDeadPeerUp).toBe(false);
  });
});

describe('a node that stops', () => {
  it('is DOWN for its peers as soon as it says so, and UP again once its next process answers', async () => {
    const { time, cluster, sees } = await calmCluster();
    const n3 = cluster.byId('n3').node;
    if (n3 === undefined) throw new Error('n3 is not running');
    const announced = n3.announceShutdown();
    await time.runFor(GOSSIP_MS / 2);
    await announced;
    expect(sees('n1', 'n3') || sees('n2', 'n3')).toBe(false);
    // Its last heartbeats, still on their way or passed on, do not bring it back.
    for (let i = 0; i < 10; i++) {
      await time.runFor(GOSSIP_MS);
      expect(sees('n1', 'n3') || sees('n2', 'n3')).toBe(false);
    }
    cluster.crash('n3');
    await time.settle(cluster.restart('n3'), 5000, 'restarting n3');
    expect(await time.runUntil(() => sees('n1', 'n3') && sees('n2', 'n3'), 20 * GOSSIP_MS)).toBe(true);
  });
});
