import { afterEach, describe, expect, it } from 'vitest';
import { Connection } from '../../../src/client/connection.js';
import { RingkvClient } from '../../../src/client/client.js';
import { WsServer } from '../../../src/node/net/server.js';
import { rejectionOf } from '../../support/errors.js';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A node in this process that answers `stop` at once and never answers anything else. */
async function connected(): Promise<Connection> {
  const server = await WsServer.listen({ host: '127.0.0.1', port: 0, clusterName: 'test', hostId: 'n1' });
  closers.push(() => server.close());
  server.onClientRequest((conn, req) => {
    if (req.op === 'stop') conn.reply(req.id, { hostId: 'n1' });
  });
  const conn = await Connection.open(server.url, { clusterName: 'test', timeoutMs: 5000 });
  closers.push(() => conn.close());
  return conn;
}

/** When each request failed, ms after the start, with the timeout its error names. */
function timed(p: Promise<unknown>, startedMs: number) {
  return rejectionOf(p).then((e) => ({
    afterMs: performance.now() - startedMs,
    code: e.code,
    timeoutMs: e.details['timeoutMs'],
  }));
}

describe('Connection request timeouts', () => {
  it('fails each unanswered request once its own timeout is up, whatever else is waiting', async () => {
    const conn = await connected();
    const start = performance.now();
    // The longest first: the shorter ones must not wait for it.
    const long = timed(conn.request('topology', {}, 60_000), start);
    const results = await Promise.all([
      timed(conn.request('topology', {}, 150), start),
      timed(conn.request('topology', {}, 50), start),
      timed(conn.request('topology', {}, 100), start),
    ]);
    expect(results.map((r) => [r.code, r.timeoutMs])).toEqual([
      ['OVERLOADED', 150],
      ['OVERLOADED', 50],
      ['OVERLOADED', 100],
    ]);
    for (const r of results) {
      expect(r.afterMs).toBeGreaterThanOrEqual((r.timeoutMs as number) - 2);
      expect(r.afterMs).toBeLessThan((r.timeoutMs as number) + 1000);
    }
    expect(conn.inFlight).toBe(1);
    // Answers still come through, and closing fails what is left.
    expect(await conn.request('stop', {})).toEqual({ hostId: 'n1' });
    conn.close();
    expect((await long).code).toBe('NO_HOST_AVAILABLE');
    expect(conn.inFlight).toBe(0);
  });

  it('times out requests sent after the earlier ones were answered or timed out', async () => {
    const conn = await connected();
    expect((await rejectionOf(conn.request('topology', {}, 30))).code).toBe('OVERLOADED');
    expect(await conn.request('stop', {}, 30)).toEqual({ hostId: 'n1' });
    const e = await rejectionOf(conn.request('topology', {}, 40));
    expect(e.code).toBe('OVERLOADED');
    expect(e.message).toContain('within 40 ms');
    expect(e.details).toMatchObject({ op: 'topology', timeoutMs: 40 });
    expect(conn.inFlight).toBe(0);
  });

  it('does not time out a request that was answered in time', async () => {
    const conn = await connected();
    const answers = await Promise.all(Array.from({ length: 50 }, () => conn.request('stop', {}, 200)));
    expect(answers).toHaveLength(50);
    // Past the deadline those requests had: the sweep finds nothing left to fail.
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(conn.inFlight).toBe(0);
    expect(conn.closed).toBe(false);
  });
});

describe('Connection validation', () => {
  it('completes the handshake and takes answers that only zod can judge', async () => {
    // 40 code points in 80 UTF-16 units: within a host id's 64, but past what the hand-written
    // validators count, so the challenge, the welcome and the answer wait for the schemas.
    const hostId = '\u{1F600}'.repeat(40);
    const server = await WsServer.listen({ host: '127.0.0.1', port: 0, clusterName: 'test', hostId });
    closers.push(() => server.close());
    server.onClientRequest((conn, req) => conn.reply(req.id, { hostId }));
    const conn = await Connection.open(server.url, { clusterName: 'test', timeoutMs: 5000 });
    closers.push(() => conn.close());
    expect(conn.serverHostId).toBe(hostId);
    const answers = await Promise.all([conn.request('stop', {}), conn.request('stop', {})]);
    expect(answers).toEqual([{ hostId }, { hostId }]);
  });
});

describe('Connection frame limit', () => {
  it("reads a value as large as the node's raised limit allows", async () => {
    // A node started with --max-value-bytes 4000000 answers with frames past the default limit's.
    const maxValueBytes = 4_000_000;
    const server = await WsServer.listen({
      host: '127.0.0.1',
      port: 0,
      clusterName: 'test',
      hostId: 'n1',
      maxValueBytes,
    });
    closers.push(() => server.close());
    const value = new Uint8Array(3_000_000).fill(7);
    server.onClientRequest((conn, req) =>
      conn.reply(req.id, {
        found: true,
        value,
        timestamp: 1,
        coordinator: 'n1',
        replicas: ['n1'],
        repaired: [],
      }),
    );
    const conn = await Connection.open(server.url, { clusterName: 'test', timeoutMs: 5000 });
    closers.push(() => conn.close());
    expect(conn.maxValueBytes).toBe(maxValueBytes);
    const answer = await conn.request('read', { keyspace: 'ks', key: new Uint8Array([1]), cl: 'ONE' });
    expect(answer.value?.length).toBe(value.length);
    expect(conn.closed).toBe(false);
  });
});

describe('RingkvClient.connect', () => {
  const clientOf = (url: string) =>
    RingkvClient.connect({
      contactPoints: [url],
      timeoutMs: 200,
      clusterName: 'test',
      route: 'token',
      coordination: 'node',
      speculativeRetry: { kind: 'never' },
    });

  it('says the timeout was too short when every contact point answered too slowly', async () => {
    // Its handshake completes, its topology never comes: a node overloaded, as far as a client can tell.
    const server = await WsServer.listen({ host: '127.0.0.1', port: 0, clusterName: 'test', hostId: 'n1' });
    closers.push(() => server.close());
    server.onClientRequest(() => {});
    const e = await rejectionOf(clientOf(server.url));
    expect(e.code).toBe('NO_HOST_AVAILABLE');
    expect(e.details['timeoutMs']).toBe(200);
  });

  it('does not when a contact point refused the connection', async () => {
    const server = await WsServer.listen({ host: '127.0.0.1', port: 0, clusterName: 'test', hostId: 'n1' });
    const url = server.url;
    await server.close();
    const e = await rejectionOf(clientOf(url));
    expect(e.code).toBe('NO_HOST_AVAILABLE');
    expect(e.details['timeoutMs']).toBeUndefined();
  });
});
