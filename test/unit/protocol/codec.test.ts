import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, FrameBatcher } from '../../../src/protocol/codec.js';
import { RingkvError } from '../../../src/protocol/errors.js';
import type { Message } from '../../../src/protocol/messages.js';

function protocolError(fn: () => unknown): RingkvError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RingkvError);
    expect((e as RingkvError).code).toBe('PROTOCOL_ERROR');
    return e as RingkvError;
  }
  throw new Error('expected a PROTOCOL_ERROR');
}

describe('codec', () => {
  it('round-trips a request with Buffer and Uint8Array bytes', () => {
    const message: Message = {
      type: 'req',
      id: 7,
      op: 'mutate',
      body: {
        keyspace: 'default',
        key: Buffer.from('user:1'),
        value: new Uint8Array([0, 1, 2, 255]),
        cl: 'QUORUM',
        timestamp: 1_700_000_000_123_456,
      },
    };
    const [decoded] = decodeFrame(encodeFrame([message]));
    const body = (decoded as { body: Record<string, unknown> }).body;
    expect(body.key).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(body.key as Uint8Array).toString()).toBe('user:1');
    expect([...(body.value as Uint8Array)]).toEqual([0, 1, 2, 255]);
    // Microsecond timestamps exceed 32 bits and must come back as exact numbers, not bigints.
    expect(body.timestamp).toBe(1_700_000_000_123_456);
    expect(decoded).toMatchObject({ type: 'req', id: 7, op: 'mutate' });
  });

  it('keeps several messages of one frame apart and in order', () => {
    const messages: Message[] = [
      { type: 'res', id: 1, ok: true, result: { found: false } },
      { type: 'event', event: 'topology', body: { nodes: [] } },
      { type: 'res', id: 2, ok: false, error: { code: 'UNAVAILABLE', message: 'no', alive: 1 } },
    ];
    expect(decodeFrame(encodeFrame(messages))).toEqual(messages);
  });

  it('turns garbage into PROTOCOL_ERROR instead of throwing something else', () => {
    protocolError(() => decodeFrame(new Uint8Array(0)));
    protocolError(() => decodeFrame(Buffer.from([0x92, 0x01]))); // array of 2, one element
    protocolError(() => decodeFrame(Buffer.from([0xdb, 0xff, 0xff, 0xff, 0xff]))); // str32 with no bytes
    const deep = Buffer.alloc(200_000, 0x91); // nested one-element arrays deeper than the stack
    protocolError(() => decodeFrame(deep));
  });

  it('does not let a __proto__ key reach an object prototype', () => {
    const frame = Buffer.concat([
      Buffer.from([0x81, 0xa9]),
      Buffer.from('__proto__'),
      Buffer.from([0x81, 0xa1, 0x78, 0x01]),
    ]);
    const [decoded] = decodeFrame(frame);
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

describe('FrameBatcher', () => {
  it('sends the messages pushed in one turn as one frame', async () => {
    const frames: Uint8Array[] = [];
    const batcher = new FrameBatcher((f) => frames.push(f));
    for (let id = 0; id < 5; id++) batcher.push({ type: 'res', id, ok: true, result: {} });
    expect(frames).toHaveLength(0);
    await new Promise((r) => setImmediate(r));
    expect(frames).toHaveLength(1);
    expect(decodeFrame(frames[0] as Uint8Array).map((m) => (m as { id: number }).id)).toEqual([
      0, 1, 2, 3, 4,
    ]);
  });

  it('sends each message at once when coalescing is off', () => {
    const frames: Uint8Array[] = [];
    const batcher = new FrameBatcher((f) => frames.push(f), { coalesce: false });
    batcher.push({ type: 'event', event: 'a', body: 1 });
    batcher.push({ type: 'event', event: 'b', body: 2 });
    expect(frames).toHaveLength(2);
  });

  it('never grows a coalesced frame past maxBatchBytes', async () => {
    const frames: Uint8Array[] = [];
    const batcher = new FrameBatcher((f) => frames.push(f), { maxBatchBytes: 1000 });
    const value = new Uint8Array(300);
    for (let id = 0; id < 10; id++) batcher.push({ type: 'res', id, ok: true, result: { value } });
    await new Promise((r) => setImmediate(r));
    expect(frames.length).toBeGreaterThan(1);
    for (const f of frames) expect(f.length).toBeLessThanOrEqual(1000);
    expect(frames.flatMap((f) => decodeFrame(f))).toHaveLength(10);
  });
});
