import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Connection } from '../../../src/client/connection.js';
import { challengeFor, helloFor } from '../../../src/protocol/auth.js';
import { RingkvError } from '../../../src/protocol/errors.js';
import { PROTOCOL_VERSION } from '../../../src/protocol/limits.js';
import type { ChallengeMessage } from '../../../src/protocol/messages.js';
import type { WsServer } from '../../../src/node/net/server.js';
import { Resources, type RawSocket } from './helpers.js';
import { rejectionOf } from '../../support/errors.js';

const resources = new Resources();
afterEach(() => resources.closeAll());

async function serving(options: Parameters<Resources['server']>[0] = {}): Promise<WsServer> {
  const server = await resources.server(options);
  server.onClientRequest((conn, req) => {
    switch (req.op) {
      case 'stop':
        conn.reply(req.id, { hostId: server.hostId });
        return;
      case 'read':
        conn.reply(req.id, { found: false, coordinator: server.hostId, replicas: [], repaired: [] });
        return;
      case 'keyspace_create':
        if (req.body.name === 'boom') throw new Error('handler bug');
        return Promise.reject(new RingkvError('REFUSED', `keyspace ${req.body.name} exists`));
      default:
        // Never answers: the client's own timeout has to fire.
        return;
    }
  });
  return server;
}

async function connect(
  server: WsServer,
  options: { secret?: string; clusterName?: string } = {},
): Promise<Connection> {
  const conn = await Connection.open(server.url, { clusterName: 'test', timeoutMs: 5000, ...options });
  resources.add(() => conn.close());
  return conn;
}

/** Completes the handshake by hand as a client. */
async function handshaken(server: WsServer): Promise<RawSocket> {
  const raw = await resources.raw(server.url);
  const [challenge] = await raw.frame(1);
  raw.send(helloFor(challenge as ChallengeMessage, { role: 'client', clusterName: 'test' }));
  expect(await raw.frame(2)).toMatchObject([{ type: 'welcome', hostId: 'n1' }]);
  return raw;
}

const read = { keyspace: 'default', key: new Uint8Array([1]), cl: 'ONE' } as const;

describe('WsServer with Connection', () => {
  it('serves a client when both sides share the secret', async () => {
    const server = await serving({ secret: 'k' });
    const conn = await connect(server, { secret: 'k' });
    expect(conn.serverHostId).toBe('n1');
    expect(await conn.request('stop', {})).toEqual({ hostId: 'n1' });
  });

  it('serves a client when neither side has a secret', async () => {
    const server = await serving();
    const conn = await connect(server);
    const result = await conn.request('read', read);
    expect(result.found).toBe(false);
  });

  it('refuses a wrong secret as UNAUTHORIZED and keeps serving others', async () => {
    const server = await serving({ secret: 'k' });
    const e = await rejectionOf(connect(server, { secret: 'guess' }));
    expect(e.code).toBe('UNAUTHORIZED');
    expect(e.message).toMatch(/does not know the cluster secret/);
    const missing = await rejectionOf(connect(server));
    expect(missing.code).toBe('UNAUTHORIZED');
    expect(missing.message).toMatch(/authentication required/);
    const good = await connect(server, { secret: 'k' });
    expect(await good.request('stop', {})).toEqual({ hostId: 'n1' });
  });

  it('refuses a client that has a secret when the node has none', async () => {
    const server = await serving();
    expect((await rejectionOf(connect(server, { secret: 'k' }))).code).toBe('UNAUTHORIZED');
  });

  it('refuses the wrong cluster name', async () => {
    const server = await serving();
    const e = await rejectionOf(connect(server, { clusterName: 'other' }));
    expect(e.code).toBe('UNAUTHORIZED');
    expect(e.message).toContain('"test"');
  });

  it('reports an unreachable node as NO_HOST_AVAILABLE', async () => {
    const server = await serving();
    const url = server.url;
    await server.close();
    const e = await rejectionOf(Connection.open(url, { clusterName: 'test', timeoutMs: 5000 }));
    expect(e.code).toBe('NO_HOST_AVAILABLE');
    expect(e.message).toContain(`cannot reach ${url}`);
  });

  it('answers an invalid body with INVALID_REQUEST and keeps the connection', async () => {
    const server = await serving();
    const conn = await connect(server);
    const e = await rejectionOf(conn.request('read', { ...read, cl: 'MOST' } as never));
    expect(e.code).toBe('INVALID_REQUEST');
    expect(conn.closed).toBe(false);
    expect(await conn.request('stop', {})).toEqual({ hostId: 'n1' });
  });

  it('answers an unknown operation with INVALID_REQUEST', async () => {
    const server = await serving();
    const raw = await handshaken(server);
    raw.send({ type: 'req', id: 9, op: 'format_disk', body: {} });
    expect(await raw.frame(3)).toMatchObject([
      {
        type: 'res',
        id: 9,
        ok: false,
        error: { code: 'INVALID_REQUEST', message: 'unknown operation format_disk' },
      },
    ]);
  });

  it('turns a failing handler into an error reply, not a crash', async () => {
    const server = await serving();
    const conn = await connect(server);
    const bug = await rejectionOf(
      conn.request('keyspace_create', { name: 'boom', replication: { strategy: 'simple', rf: 1 } }),
    );
    expect(bug.code).toBe('SERVER_ERROR');
    const refused = await rejectionOf(
      conn.request('keyspace_create', { name: 'ks', replication: { strategy: 'simple', rf: 1 } }),
    );
    expect(refused.code).toBe('REFUSED');
    expect(refused.message).toBe('keyspace ks exists');
    expect(await conn.request('stop', {})).toEqual({ hostId: 'n1' });
  });

  it('a stopping server answers what it began; the client may send elsewhere what it was not', async () => {
    const server = await serving();
    const conn = await connect(server);
    const url = server.url;
    // topology is never answered by the handler above: begun, and unfinished at the close.
    const begun = conn.request('topology', {}).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    await server.close();
    expect(await begun).toMatchObject({
      code: 'SERVER_ERROR',
      message: 'the node stopped before it finished this request; a write may have been applied',
    });
    // Sent after the close: never begun, so the error says the client may send it elsewhere.
    const after = await rejectionOf(conn.request('stop', {}));
    expect(after).toMatchObject({
      code: 'REFUSED',
      message: `${url} is stopping: send to another node`,
    });
    expect(after.details['stopping']).toBe(true);
  });

  it('fails a request the node never answers with OVERLOADED', async () => {
    const server = await serving();
    const conn = await connect(server);
    const e = await rejectionOf(conn.request('topology', {}, 50));
    expect(e.code).toBe('OVERLOADED');
    expect(e.message).toContain(`no answer from ${server.url}`);
  });

  it('delivers events the node pushes and reports round trips', async () => {
    const server = await resources.server();
    server.onClientRequest((conn, req) => {
      conn.push('topology_changed', { version: 3 });
      conn.reply(req.id, { hostId: 'n1' });
    });
    const conn = await connect(server);
    const events: unknown[] = [];
    const trips: string[] = [];
    conn.onEvent((event, body) => events.push({ event, body }));
    conn.onRoundTrip = (ms, op) => trips.push(`${op}:${ms >= 0}`);
    await conn.request('stop', {});
    expect(events).toEqual([{ event: 'topology_changed', body: { version: 3 } }]);
    expect(trips).toEqual(['stop:true']);
  });
});

describe('WsServer with hand-made frames', () => {
  it('refuses a first frame that is not hello', async () => {
    const server = await serving();
    const raw = await resources.raw(server.url);
    await raw.frame(1);
    raw.send({ type: 'req', id: 1, op: 'stop', body: {} });
    expect(await raw.frame(2)).toMatchObject([{ type: 'error', error: { code: 'PROTOCOL_ERROR' } }]);
    const closed = await raw.closed;
    expect(closed.code).toBe(1002);
    expect(closed.reason).toMatch(/first message must be hello/);
  });

  it('names both versions on a version mismatch', async () => {
    const server = await serving();
    const raw = await resources.raw(server.url);
    const [challenge] = await raw.frame(1);
    expect(challenge).toMatchObject({
      type: 'challenge',
      version: PROTOCOL_VERSION,
      cluster: 'test',
      hostId: 'n1',
    });
    raw.send({
      ...helloFor(challenge as ChallengeMessage, { role: 'client', clusterName: 'test' }),
      version: 99,
    });
    const [error] = await raw.frame(2);
    expect(error).toMatchObject({ type: 'error', error: { code: 'PROTOCOL_ERROR' } });
    const message = (error as { error: { message: string } }).error.message;
    expect(message).toContain(`version ${PROTOCOL_VERSION}`);
    expect(message).toContain('version 99');
    await raw.closed;
  });

  it('abandons a handshake on its signal and closes the socket, as a closing client does', async () => {
    // A paused node: the kernel accepts the connection, nothing ever answers.
    const silent = createServer();
    const accepted = new Promise<Socket>((resolve) => silent.once('connection', resolve));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    resources.add(() => new Promise<void>((resolve) => silent.close(() => resolve())));
    const { port } = silent.address() as AddressInfo;
    const dials = new AbortController();
    const dialing = Connection.open(`ws://127.0.0.1:${port}`, {
      clusterName: 'test',
      timeoutMs: 60_000,
      signal: dials.signal,
    });
    const socket = await accepted;
    const socketClosed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    dials.abort();
    const e = await rejectionOf(dialing);
    expect(e.code).toBe('NO_HOST_AVAILABLE');
    expect(e.message).toBe(`cannot reach ws://127.0.0.1:${port}: the dial was abandoned`);
    await socketClosed;
    // A signal that has already fired abandons the dial before it waits for anything.
    expect(
      (
        await rejectionOf(
          Connection.open(`ws://127.0.0.1:${port}`, {
            clusterName: 'test',
            timeoutMs: 60_000,
            signal: dials.signal,
          }),
        )
      ).message,
    ).toMatch(/abandoned/);
  });

  it('closes only the connection that sent garbage', async () => {
    const server = await serving();
    const bystander = await connect(server);
    const raw = await handshaken(server);
    raw.sendBytes(Buffer.from([0xc1, 0x92, 0x01]));
    const closed = await raw.closed;
    expect(closed.code).toBe(1002);
    expect(closed.reason).toMatch(/^PROTOCOL_ERROR/);
    expect(await bystander.request('stop', {})).toEqual({ hostId: 'n1' });
  });

  it('closes a connection that sends a valid message of the wrong kind', async () => {
    const server = await serving();
    const raw = await handshaken(server);
    raw.send(challengeFor('test', 'x'));
    expect(await raw.frame(3)).toMatchObject([{ type: 'error', error: { code: 'PROTOCOL_ERROR' } }]);
    await raw.closed;
  });

  it('closes only the connection that sends an oversized frame', async () => {
    const server = await serving({ maxValueBytes: 1024 });
    const bystander = await connect(server);
    const raw = await handshaken(server);
    raw.sendBytes(new Uint8Array(400 * 1024));
    expect((await raw.closed).code).toBe(1009);
    expect(await bystander.request('stop', {})).toEqual({ hostId: 'n1' });

    const big = await connect(server);
    const e = await rejectionOf(
      big.request('replica_write', {
        keyspace: 'default',
        key: new Uint8Array([1]),
        cell: { value: new Uint8Array(400 * 1024), timestamp: 1 },
      }),
    );
    expect(e.code).toBe('PROTOCOL_ERROR');
    expect(e.message).toMatch(/larger than it accepts/);
  });

  it('answers requests of one frame in one frame', async () => {
    const server = await serving();
    const raw = await handshaken(server);
    raw.send(
      { type: 'req', id: 1, op: 'stop', body: {} },
      { type: 'req', id: 2, op: 'stop', body: {} },
      { type: 'req', id: 3, op: 'stop', body: {} },
    );
    const replies = await raw.frame(3);
    expect(replies.map((r) => (r as { id: number }).id)).toEqual([1, 2, 3]);
  });
});
