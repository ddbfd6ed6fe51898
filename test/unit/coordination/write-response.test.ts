import { describe, expect, it } from 'vitest';
import { InFlight } from '../../../src/coordination/in-flight.js';
import { LatencyTracker } from '../../../src/coordination/latency.js';
import { throttledWarning } from '../../../src/coordination/throttled-warning.js';
import { WriteResponse, type WriteResponseDeps } from '../../../src/coordination/write-response.js';
import type { Clock, Logger } from '../../../src/coordination/world.js';
import { silentLogger } from '../../../src/node/world.js';
import { requirementFor } from '../../../src/protocol/consistency.js';
import { NoAnswerError, RingkvError } from '../../../src/protocol/errors.js';
import type { RingNode } from '../../../src/ring/ring.js';
import { PeerUnreachable } from '../../../src/node/rpc.js';

const replica = (hostId: string): RingNode => ({ hostId, dc: 'dc1', rack: 'r1', tokens: [] });
const [a, b, c] = [replica('a'), replica('b'), replica('c')];

function clockAt(now: { ms: number }): Clock {
  return {
    nowMicros: () => now.ms * 1000,
    monotonicMs: () => now.ms,
    setTimer: () => ({ cancel() {} }),
    defer: (fn) => fn(),
  };
}

/** A QUORUM write of RF 3 whose hints are all refused (hinted handoff off). */
function quorumWrite() {
  const warnings: Record<string, unknown>[] = [];
  const deps: WriteResponseDeps = {
    selfId: 'a',
    clock: clockAt({ ms: 0 }),
    hints: { store: () => Promise.resolve({ stored: false, reason: 'hinted handoff is off on this node' }) },
    latency: new LatencyTracker(),
    hintNotStored: (fields) => warnings.push(fields),
    writes: new InFlight(),
  };
  const requirement = requirementFor('QUORUM', { strategy: 'simple', rf: 3 }, 'dc1');
  const cell = { value: new Uint8Array([1]), timestamp: 7 };
  const response = new WriteResponse(
    deps,
    { keyspace: 'default', key: new Uint8Array([0]), cell },
    'QUORUM',
    requirement,
    0,
    3,
    2000,
    undefined,
  );
  return { response, warnings, writes: deps.writes };
}

describe('WriteResponse', () => {
  it('stays under way after its answer until every replica has acked or been hinted', async () => {
    const { response, writes } = quorumWrite();
    let settled = false;
    void writes.idle().then(() => (settled = true));
    response.acked(a);
    response.acked(b);
    await response.answer;
    await Promise.resolve();
    // QUORUM is met, and c has not answered yet: a stopping node must wait for it.
    expect(settled).toBe(false);
    response.failed(c, new NoAnswerError('no answer from c'));
    await writes.idle();
    expect(settled).toBe(true);
  });

  it('says which replicas failed the write and why, when they answered with an error', async () => {
    const { response } = quorumWrite();
    response.acked(a);
    response.failed(b, new RingkvError('SERVER_ERROR', 'the disk of /d is full'));
    response.failed(c, new NoAnswerError('no answer from c to replica_write within 2000 ms'));
    const e = (await response.answer.catch((x: unknown) => x)) as RingkvError;
    expect(e.code).toBe('WRITE_FAILURE');
    expect(e.message).toBe(
      'QUORUM needed 2 acks, got 1; b failed it: the disk of /d is full; the write may have been applied on the replicas that took it',
    );
    expect(e.details).toMatchObject({
      received: 1,
      required: 2,
      acks: ['a'],
      failures: { b: 'the disk of /d is full' },
    });
  });

  it('is a timeout when the replicas that did not ack gave no answer', async () => {
    const { response } = quorumWrite();
    response.acked(a);
    response.failed(b, new NoAnswerError('no answer from b'));
    response.failed(c, new NoAnswerError('no answer from c'));
    const e = (await response.answer.catch((x: unknown) => x)) as RingkvError;
    expect(e.code).toBe('WRITE_TIMEOUT');
    expect(e.details['failures']).toBeUndefined();
  });

  it('says which replicas it lost the connection to, rather than that they timed out', async () => {
    const { response } = quorumWrite();
    response.acked(a);
    response.failed(b, new PeerUnreachable('b', 'replica_write_batch', 'the connection closed (1006)'));
    response.failed(c, new NoAnswerError('no answer from c'));
    const e = (await response.answer.catch((x: unknown) => x)) as RingkvError;
    expect(e.code).toBe('WRITE_TIMEOUT');
    expect(e.message).toBe(
      'QUORUM needed 2 acks, got 1: no answer from b (the connection closed (1006)); the write may have been applied on the replicas that took it',
    );
    expect(e.details).toMatchObject({ unreachable: { b: 'the connection closed (1006)' } });
    expect(e.details['failures']).toBeUndefined();
  });

  it('meets the CL despite a failed replica', async () => {
    const { response } = quorumWrite();
    response.failed(c, new RingkvError('SERVER_ERROR', 'the disk of /d is full'));
    response.acked(a);
    response.acked(b);
    await expect(response.answer).resolves.toMatchObject({ acks: ['a', 'b'] });
  });
});

describe('throttledWarning', () => {
  it('logs the first at once, then one per interval with how many it left out', () => {
    const now = { ms: 0 };
    const lines: [string, Record<string, unknown> | undefined][] = [];
    const logger: Logger = {
      ...silentLogger,
      warn: (m, f) => {
        lines.push([m, f]);
      },
    };
    const warn = throttledWarning(clockAt(now), logger, 'could not store a hint', 1000);
    warn({ n: 1 });
    now.ms = 500;
    warn({ n: 2 });
    warn({ n: 3 });
    now.ms = 1000;
    warn({ n: 4 });
    now.ms = 1500;
    warn({ n: 5 });
    expect(lines).toEqual([
      ['could not store a hint', { n: 1 }],
      ['could not store a hint', { n: 4, alsoSince: 2 }],
    ]);
  });
});
