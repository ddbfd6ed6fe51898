import { describe, expect, it } from 'vitest';
import { isNoAnswer, type RingkvError } from '../../src/protocol/errors.js';
import { PeerRpc } from '../../src/node/rpc.js';
import type { Clock, HostId, PeerMessage, Timer, Transport } from '../../src/node/world.js';

/** A transport that keeps what is sent and lets the test say when a peer's connection is lost. */
class FakeTransport implements Transport {
  readonly sent: { to: HostId; message: PeerMessage }[] = [];
  receive: (from: HostId, message: PeerMessage) => void = () => {};
  private readonly lost: ((hostId: HostId, reason: string) => void)[] = [];

  send(to: HostId, message: PeerMessage): void {
    this.sent.push({ to, message });
  }
  onMessage(handler: (from: HostId, message: PeerMessage) => void): void {
    this.receive = handler;
  }
  onPeerDisconnected(handler: (hostId: HostId, reason: string) => void): void {
    this.lost.push(handler);
  }
  answer(from: HostId, index: number, result: unknown): void {
    const request = this.sent[index]?.message;
    if (request?.type !== 'req') throw new Error(`no request at ${index}`);
    this.receive(from, { type: 'res', id: request.id, ok: true, result });
  }
  lose(hostId: HostId, reason: string): void {
    for (const handler of this.lost) handler(hostId, reason);
  }
}

/** Timers that fire only when the test advances time. */
class ManualClock implements Clock {
  private now = 0;
  private readonly timers = new Set<{ at: number; fn: () => void }>();
  nowMicros(): number {
    return this.now * 1000;
  }
  monotonicMs(): number {
    return this.now;
  }
  setTimer(delayMs: number, fn: () => void): Timer {
    const timer = { at: this.now + delayMs, fn };
    this.timers.add(timer);
    return { cancel: () => this.timers.delete(timer) };
  }
  defer(fn: () => void): void {
    queueMicrotask(fn);
  }
  get liveTimers(): number {
    return this.timers.size;
  }
  advance(ms: number): void {
    this.now += ms;
    for (const timer of [...this.timers]) {
      if (timer.at > this.now) continue;
      this.timers.delete(timer);
      timer.fn();
    }
  }
}

function rpcWith(transport: FakeTransport, clock: ManualClock, firstRequestId = 1): PeerRpc {
  return new PeerRpc(
    'self',
    transport,
    clock,
    () => Promise.reject(new Error('no requests expected')),
    firstRequestId,
  );
}

const READ = { keyspace: 'ks', key: new Uint8Array([1]) };

describe('peer requests', () => {
  it('fail at once when the connection to their peer is lost, and only those', async () => {
    const transport = new FakeTransport();
    const clock = new ManualClock();
    const rpc = rpcWith(transport, clock);
    const toB = rpc.request('b', 'replica_read', READ, 2000);
    const toC = rpc.request('c', 'replica_read', READ, 2000);
    transport.lose('b', 'the connection closed (1006)');
    const error = (await toB.catch((e: unknown) => e)) as RingkvError;
    expect(error.code).toBe('NO_HOST_AVAILABLE');
    expect(error.message).toBe('no answer from b to replica_read: the connection closed (1006)');
    expect(error.details['to']).toBe('b');
    // Callers treat it as they treat a timeout: a hint, a spare replica, the next source.
    expect(isNoAnswer(error)).toBe(true);
    // Its timer is gone; the request to c still waits for its answer.
    expect(clock.liveTimers).toBe(1);
    transport.answer('c', 1, {});
    await expect(toC).resolves.toEqual({});
  });

  it('still time out when the peer says nothing', async () => {
    const transport = new FakeTransport();
    const clock = new ManualClock();
    const rpc = rpcWith(transport, clock);
    const toB = rpc.request('b', 'replica_read', READ, 2000);
    clock.advance(1999);
    transport.lose('c', 'the connection closed (1006)');
    clock.advance(1);
    const error = (await toB.catch((e: unknown) => e)) as RingkvError;
    expect(error.code).toBe('OVERLOADED');
    expect(error.message).toBe('no answer from b to replica_read within 2000 ms');
  });

  it('ignore an answer that comes after the connection was given up', async () => {
    const transport = new FakeTransport();
    const clock = new ManualClock();
    const rpc = rpcWith(transport, clock);
    const toB = rpc.request('b', 'replica_read', READ, 2000);
    transport.lose('b', 'connection refused');
    await expect(toB).rejects.toThrow('connection refused');
    transport.answer('b', 0, {});
    const again = rpc.request('b', 'replica_read', READ, 2000);
    transport.answer('b', 1, {});
    await expect(again).resolves.toEqual({});
  });

  it("a late answer to the previous process's request does not settle this process's", async () => {
    // The node restarted: its old process sent request ids from 1, the new one from elsewhere (the
    // node draws a random start), and a peer answers an old request only now, by host id.
    const clock = new ManualClock();
    const before = new FakeTransport();
    void rpcWith(before, clock, 1)
      .request('peer', 'replica_write', { ...READ, cell: { value: null, timestamp: 1 } }, 1000)
      .catch(() => undefined);
    const oldId = (before.sent[0]?.message as { id: number }).id;
    const transport = new FakeTransport();
    const rpc = rpcWith(transport, clock, 1 + 2 ** 39);
    let settled = false;
    const read = rpc.request('peer', 'replica_read', READ, 1000);
    void read.then(() => (settled = true));
    transport.receive('peer', { type: 'res', id: oldId, ok: true, result: {} });
    await Promise.resolve();
    expect(settled).toBe(false);
    transport.answer('peer', 0, { cell: { value: new Uint8Array([7]), timestamp: 5 } });
    expect((await read).cell?.timestamp).toBe(5);
  });

  it('take an answer only from the peer the request went to', async () => {
    // Ids are per process, not per peer: an answer with this id from another peer answers some
    // other request (of an earlier process of this node), whatever its id.
    const transport = new FakeTransport();
    const clock = new ManualClock();
    const rpc = rpcWith(transport, clock);
    let settled = false;
    const toB = rpc.request('b', 'replica_read', READ, 1000);
    void toB.then(() => (settled = true));
    transport.answer('c', 0, {});
    await Promise.resolve();
    expect(settled).toBe(false);
    transport.answer('b', 0, { cell: { value: new Uint8Array([7]), timestamp: 5 } });
    expect((await toB).cell?.timestamp).toBe(5);
  });
});
