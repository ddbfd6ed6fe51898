import { describe, expect, it } from 'vitest';
import { Coordinator } from '../../../src/coordination/coordinator.js';
import type { ClusterView } from '../../../src/coordination/cluster-view.js';
import { LatencyTracker } from '../../../src/coordination/latency.js';
import type { Clock, ReplicaChannel } from '../../../src/coordination/world.js';
import { silentLogger } from '../../../src/node/world.js';
import { TokenRing, type RingNode } from '../../../src/ring/ring.js';

const replica = (hostId: string, token: bigint): RingNode => ({
  hostId,
  dc: 'dc1',
  rack: 'r1',
  tokens: [token],
});
const ring = new TokenRing([replica('a', 0n), replica('b', 2n ** 62n), replica('c', -(2n ** 62n))]);

/** A clock whose timers are kept until they fire or are cancelled, so a test can see what is left. */
function recordingClock() {
  const live = new Set<() => void>();
  const clock: Clock = {
    nowMicros: () => 1_000_000,
    monotonicMs: () => 1_000,
    setTimer: (_ms, fn) => {
      live.add(fn);
      return { cancel: () => live.delete(fn) };
    },
    defer: (fn) => fn(),
  };
  return { clock, live };
}

/** A coordinator over the three-node ring; `selfId` need not be one of its nodes. */
function coordinatorWith(
  clock: Clock,
  latency: LatencyTracker,
  rpc: ReplicaChannel,
  selfId = 'a',
  requestTimeoutMs = 2000,
) {
  const view: ClusterView = {
    selfId,
    localDc: 'dc1',
    ring: () => ring,
    replication: () => ({ strategy: 'simple', rf: 3 }),
    isAlive: () => true,
    pendingReplicas: () => [],
  };
  return new Coordinator({
    view,
    rpc,
    clock,
    hlc: { now: () => 1, observe: () => undefined },
    hints: { store: () => Promise.resolve({ stored: true }) },
    latency,
    logger: silentLogger,
    options: { requestTimeoutMs, maxValueBytes: 1024, speculativeRetryPercentile: 99 },
  });
}

const answer = () => Promise.resolve({ cell: { value: new Uint8Array([1]), timestamp: 5 } }) as never;

/** timeouts: what each replica request was given, in the order sent. */
function coordinatorOf(
  clock: Clock,
  latency: LatencyTracker,
  timeouts: number[] = [],
  requestTimeoutMs = 2000,
) {
  const rpc: ReplicaChannel = {
    request: (_to, _op, _body, timeoutMs) => {
      timeouts.push(timeoutMs);
      return answer();
    },
  };
  return coordinatorWith(clock, latency, rpc, 'a', requestTimeoutMs);
}

describe('Coordinator.read', () => {
  it('cancels its speculative retry once the CL is met, so an idle node is not woken for nothing', async () => {
    const latency = new LatencyTracker();
    // Enough samples for a percentile: the read arms a speculative retry for the spare replica.
    for (let i = 0; i < 50; i++) for (const host of ['b', 'c']) latency.record(host, 1);
    const { clock, live } = recordingClock();
    const coordinator = coordinatorOf(clock, latency);

    const result = await coordinator.read({ keyspace: 'default', key: new Uint8Array([7]), cl: 'QUORUM' });

    expect(result.found).toBe(true);
    expect(result.replicas).toHaveLength(2);
    expect(live.size).toBe(0);
  });
});

describe('Coordinator.read speculative retry', () => {
  it("retries a replica it has too few samples of at every replica's percentile, rather than never", async () => {
    // The coordinator (x) is no replica. b answers fastest so far but has 5 samples, too few for a
    // percentile of its own; a and c have 50 each. b stalls: the read must still go to a spare.
    const latency = new LatencyTracker();
    for (let i = 0; i < 5; i++) latency.record('b', 0.5);
    for (let i = 0; i < 50; i++) for (const host of ['a', 'c']) latency.record(host, 1);
    const { clock, live } = recordingClock();
    const asked: string[] = [];
    const rpc: ReplicaChannel = {
      request: (to) => {
        asked.push(to);
        return to === 'b' ? new Promise<never>(() => {}) : answer();
      },
    };
    const coordinator = coordinatorWith(clock, latency, rpc, 'x');

    const read = coordinator.read({ keyspace: 'default', key: new Uint8Array([7]), cl: 'ONE' });
    await Promise.resolve();
    expect(asked).toEqual(['b']);
    expect(live.size).toBe(1);
    for (const fire of [...live]) fire();
    const result = await read;
    expect(result.found).toBe(true);
    expect(asked).toHaveLength(2);
  });
});

describe('Coordinator timeouts', () => {
  it("gives replicas the client's timeout when it is shorter than the node's, never longer", async () => {
    const { clock } = recordingClock();
    const key = new Uint8Array([7]);
    // [the node's timeout, the request's, what replicas get]; none named is the default client's, 2000.
    for (const [own, asked, given] of [
      [2000, undefined, 2000],
      [2000, 300, 300],
      [2000, 5000, 2000],
      [5000, undefined, 2000],
      [5000, 3000, 3000],
      [5000, 9000, 5000],
    ] as const) {
      const timeouts: number[] = [];
      const coordinator = coordinatorOf(clock, new LatencyTracker(), timeouts, own);
      const timeoutMs = asked === undefined ? {} : { timeoutMs: asked };
      await coordinator.mutate({ keyspace: 'default', key, value: key, cl: 'ALL', ...timeoutMs });
      await coordinator.read({ keyspace: 'default', key, cl: 'ALL', ...timeoutMs });
      // Three replica writes, then three replica reads, each given the same time.
      expect(timeouts, `node ${own}, asked ${asked}`).toEqual(Array(6).fill(given));
    }
  });
});
