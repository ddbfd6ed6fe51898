import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { challengeFor, checkHello, welcomeFor } from '../../../src/protocol/auth.js';
import { decodeFrame, encodeFrame } from '../../../src/protocol/codec.js';
import type { HelloMessage } from '../../../src/protocol/messages.js';
import { parseMessage } from '../../../src/protocol/validate.js';
import { WsTransport, type WsTransportOptions } from '../../../src/node/net/ws-transport.js';
import type { HostId, PeerMessage } from '../../../src/node/world.js';
import type { WsServer } from '../../../src/node/net/server.js';
import { Resources } from './helpers.js';

const resources = new Resources();
afterEach(() => resources.closeAll());

interface Node {
  transport: WsTransport;
  inbox: { from: HostId; message: PeerMessage }[];
  server: WsServer;
}

const addresses = new Map<HostId, string>();

async function node(hostId: HostId, options: Partial<WsTransportOptions> = {}): Promise<Node> {
  const server = await resources.server({ hostId, secret: options.secret });
  addresses.set(hostId, server.url);
  const transport = new WsTransport({
    hostId,
    clusterName: 'test',
    address: server.url,
    resolveAddress: (id) => addresses.get(id),
    server,
    ...options,
  });
  resources.add(() => transport.close());
  const inbox: Node['inbox'] = [];
  transport.onMessage((from, message) => inbox.push({ from, message }));
  return { transport, inbox, server };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 5));
}

function event(n: number): PeerMessage {
  return { type: 'event', event: 'gossip', body: { n, digest: new Uint8Array([n]) } };
}

/** A peer that completes the handshake and records every frame the transport sends it. */
async function recordingPeer(hostId: HostId): Promise<unknown[][]> {
  const frames: unknown[][] = [];
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise((r) => wss.once('listening', r));
  resources.add(() => {
    for (const ws of wss.clients) ws.terminate();
    return new Promise<void>((r) => wss.close(() => r()));
  });
  wss.on('connection', (ws) => {
    const challenge = challengeFor('test', hostId);
    let hello: HelloMessage | undefined;
    ws.on('message', (data: Buffer) => {
      const values = decodeFrame(data);
      if (hello === undefined) {
        const first = parseMessage(values[0]);
        if (first.type !== 'hello') throw new Error('expected hello');
        checkHello(first, challenge, undefined);
        hello = first;
        ws.send(encodeFrame([welcomeFor(first, challenge, undefined)]));
        return;
      }
      frames.push(values);
    });
    ws.send(encodeFrame([challenge]));
  });
  addresses.set(hostId, `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  return frames;
}

describe('WsTransport', () => {
  it('exchanges messages both ways over one authenticated connection', async () => {
    const a = await node('a', { secret: 'k' });
    const b = await node('b', { secret: 'k' });
    a.transport.send('b', { type: 'req', id: 1, op: 'replica_read', body: { key: new Uint8Array([7]) } });
    expect(a.transport.connectionState('b')).toBe('connecting');
    await until(() => b.inbox.length === 1);
    expect(b.inbox[0]?.from).toBe('a');
    expect(b.inbox[0]?.message).toMatchObject({ type: 'req', id: 1, op: 'replica_read' });

    b.transport.send('a', { type: 'res', id: 1, ok: true, result: { cell: { value: null, timestamp: 5 } } });
    await until(() => a.inbox.length === 1);
    expect(a.inbox[0]).toMatchObject({ from: 'b', message: { type: 'res', id: 1, ok: true } });
    // b answered over the connection a dialed instead of dialing a second one.
    expect(b.transport.connectionState('a')).toBe('connected');
    expect(a.transport.connectionState('b')).toBe('connected');
    expect(a.server.connectionCount).toBe(0);
    expect(b.server.connectionCount).toBe(1);
  });

  it('delivers a message to itself', async () => {
    const a = await node('a');
    a.transport.send('a', event(1));
    await until(() => a.inbox.length === 1);
    expect(a.inbox[0]?.from).toBe('a');
  });

  it('does not connect to a peer with another secret, and that peer keeps running', async () => {
    const a = await node('a', { secret: 'k' });
    const b = await node('b', { secret: 'other' });
    const c = await node('c', { secret: 'other' });
    const lost: string[] = [];
    a.transport.onPeerDisconnected((id, reason) => lost.push(`${id} ${reason}`));
    a.transport.send('b', event(1));
    await until(() => lost.length === 1);
    expect(lost[0]).toMatch(/^b .*cluster secret/);
    expect(a.transport.connectionState('b')).toBe('down');
    expect(b.inbox).toEqual([]);
    c.transport.send('b', event(2));
    await until(() => b.inbox.length === 1);
  });

  it('drops messages to an unreachable peer and says so', async () => {
    const a = await node('a');
    addresses.set('ghost', 'ws://127.0.0.1:1');
    const lost: string[] = [];
    a.transport.onPeerDisconnected((id, reason) => lost.push(`${id} ${reason}`));
    a.transport.send('ghost', event(1));
    a.transport.send('ghost', event(2));
    await until(() => lost.length === 1);
    expect(lost[0]).toMatch(/^ghost cannot reach ws:\/\/127\.0\.0\.1:1/);
    expect(a.transport.connectionState('ghost')).toBe('down');
    // While it backs off, a message it drops is lost as surely: it says so at once, with why.
    a.transport.send('ghost', event(3));
    expect(lost).toEqual([lost[0], lost[0]]);
  });

  it('tells when a connected peer goes away', async () => {
    const a = await node('a');
    const b = await node('b');
    a.transport.send('b', event(1));
    await until(() => b.inbox.length === 1);
    const lost: string[] = [];
    a.transport.onPeerDisconnected((id, reason) => lost.push(`${id} ${reason}`));
    b.transport.close();
    await until(() => lost.length === 1);
    expect(lost[0]).toMatch(/^b the connection closed \(1001/);
    expect(a.transport.connectionState('b')).toBe('down');
  });

  it('coalesces the messages of one turn to one peer into one frame', async () => {
    const frames = await recordingPeer('p');
    const a = await node('a');
    a.transport.send('p', event(0));
    await until(() => frames.length === 1);
    for (let n = 1; n <= 5; n++) a.transport.send('p', event(n));
    await until(() => frames.length === 2);
    expect(frames[1]?.map((m) => (m as { body: { n: number } }).body.n)).toEqual([1, 2, 3, 4, 5]);
  });

  it('sends one frame per message with coalescing off', async () => {
    const frames = await recordingPeer('p');
    const a = await node('a', { coalesce: false });
    a.transport.send('p', event(0));
    await until(() => frames.length === 1);
    for (let n = 1; n <= 3; n++) a.transport.send('p', event(n));
    await until(() => frames.length === 4);
    expect(frames.every((f) => f.length === 1)).toBe(true);
  });
});
