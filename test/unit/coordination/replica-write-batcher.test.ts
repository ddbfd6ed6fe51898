import { describe, expect, it } from 'vitest';
import { ReplicaWriteBatcher } from '../../../src/coordination/replica-write-batcher.js';
import type { ReplicaChannel } from '../../../src/coordination/world.js';
import { RingkvError } from '../../../src/protocol/errors.js';

interface Sent {
  to: string;
  op: string;
  body: unknown;
  timeoutMs: number;
}

/** An inner channel that records requests and answers each as `answer` says. */
function setup(answer: (sent: Sent) => Promise<unknown> = () => Promise.resolve({ applied: 0 })) {
  const sent: Sent[] = [];
  const inner: ReplicaChannel = {
    request: (to, op, body, timeoutMs) => {
      const s = { to, op, body, timeoutMs };
      sent.push(s);
      return answer(s) as never;
    },
  };
  const deferred: (() => void)[] = [];
  const batcher = new ReplicaWriteBatcher(inner, 'self', { defer: (fn) => deferred.push(fn) });
  const endTurn = () => {
    for (const fn of deferred.splice(0)) fn();
  };
  return { sent, batcher, endTurn };
}

const key = (n: number) => Uint8Array.of(n);
const cell = (ts: number, bytes = 1) => ({ value: new Uint8Array(bytes), timestamp: ts });
const write = (k: number, ts = 1, keyspace = 'ks', bytes = 1) => ({
  keyspace,
  key: key(k),
  cell: cell(ts, bytes),
});

describe('ReplicaWriteBatcher', () => {
  it('sends the replica writes of one turn to one peer as one batch, and acks each', async () => {
    const { sent, batcher, endTurn } = setup();
    const acks = [1, 2, 3].map((k) => batcher.request('n2', 'replica_write', write(k, k), 100));
    expect(sent).toHaveLength(0);
    endTurn();
    expect(sent).toEqual([
      {
        to: 'n2',
        op: 'replica_write_batch',
        body: { keyspace: 'ks', cells: [1, 2, 3].map((k) => ({ key: key(k), cell: cell(k) })) },
        timeoutMs: 100,
      },
    ]);
    expect(await Promise.all(acks)).toEqual([{}, {}, {}]);
  });

  it('sends a lone write as a plain replica_write', async () => {
    const { sent, batcher, endTurn } = setup(() => Promise.resolve({}));
    const ack = batcher.request('n2', 'replica_write', write(1), 100);
    endTurn();
    expect(sent.map((s) => [s.op, s.body])).toEqual([['replica_write', write(1)]]);
    expect(await ack).toEqual({});
  });

  it('keeps peers and keyspaces apart', () => {
    const { sent, batcher, endTurn } = setup();
    void batcher.request('n2', 'replica_write', write(1, 1, 'a'), 100);
    void batcher.request('n3', 'replica_write', write(2, 1, 'a'), 100);
    void batcher.request('n2', 'replica_write', write(3, 1, 'b'), 100);
    void batcher.request('n2', 'replica_write', write(4, 1, 'a'), 100);
    endTurn();
    expect(sent.map((s) => [s.to, s.op, (s.body as { keyspace: string }).keyspace])).toEqual([
      ['n2', 'replica_write_batch', 'a'],
      ['n3', 'replica_write', 'a'],
      ['n2', 'replica_write', 'b'],
    ]);
  });

  it('fails every write of a batch with the batch', async () => {
    const timeout = new RingkvError('OVERLOADED', 'no answer from n2');
    const { batcher, endTurn } = setup(() => Promise.reject(timeout));
    const acks = [1, 2].map((k) => batcher.request('n2', 'replica_write', write(k), 100));
    endTurn();
    for (const ack of acks) await expect(ack).rejects.toBe(timeout);
  });

  it('passes writes to itself and other operations straight through', () => {
    const { sent, batcher } = setup();
    void batcher.request('self', 'replica_write', write(1), 100);
    void batcher.request('n2', 'replica_read', { keyspace: 'ks', key: key(1) }, 100);
    expect(sent.map((s) => [s.to, s.op])).toEqual([
      ['self', 'replica_write'],
      ['n2', 'replica_read'],
    ]);
  });

  it('sends a batch before it grows past what one message may carry, without waiting for the end of the turn', () => {
    const { sent, batcher, endTurn } = setup();
    // Four 20 KB cells fit MAX_CELLS_MESSAGE_BYTES (96 KiB), a fifth would not.
    for (let k = 0; k < 6; k++) void batcher.request('n2', 'replica_write', write(k, 1, 'ks', 20_000), 100);
    expect(sent.map((s) => (s.body as { cells: unknown[] }).cells.length)).toEqual([4]);
    endTurn();
    expect(sent.map((s) => s.op)).toEqual(['replica_write_batch', 'replica_write_batch']);
  });
});
