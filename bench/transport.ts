/**
 * Peer transport throughput: three node processes on loopback, each keeping a window of small
 * request/response exchanges in flight to the two others, once with per-turn coalescing and once
 * without. Then the round trip of one exchange at a time between two of them: the least a hop to
 * another process and back adds to a request's latency here. Run: npx tsx bench/transport.ts
 * [durationMs] [windowPerPeer]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WsServer } from '../src/node/net/server.js';
import { WsTransport } from '../src/node/net/ws-transport.js';
import type { PeerMessage } from '../src/node/world.js';
import { LatencyRecorder } from '../src/protocol/latency-recorder.js';

const NODES = 3;
/** Round trips in the first second are not timed: V8 is still compiling the path. */
const ROUND_TRIP_WARMUP_MS = 1_000;

/** windowPerPeer 0: worker 0 alone keeps one exchange in flight, to worker 1, and times each. */
type ToWorker = { kind: 'start'; addresses: string[]; durationMs: number; windowPerPeer: number };
type FromWorker =
  | { kind: 'listening'; address: string }
  | { kind: 'done'; exchanges: number; served: number; roundTripP50Ms: number };

async function worker(index: number, coalesce: boolean): Promise<void> {
  // The parent is gone (it was killed, or the benchmark interrupted): nobody will stop this worker.
  process.once('disconnect', () => process.exit(0));
  const hostId = `w${index}`;
  const server = await WsServer.listen({
    host: '127.0.0.1',
    port: 0,
    clusterName: 'bench',
    hostId,
    coalesce,
  });
  let addresses: string[] = [];
  const transport = new WsTransport({
    hostId,
    clusterName: 'bench',
    server,
    coalesce,
    resolveAddress: (id) => addresses[Number(id.slice(1))],
  });
  const key = Buffer.alloc(16, index);
  const value = Buffer.alloc(100, 7);
  let nextId = 0;
  let exchanges = 0;
  let served = 0;
  let running = false;
  // Round trips are timed only with one exchange in flight (windowPerPeer 0), from timeFrom on.
  const roundTrips = new LatencyRecorder();
  let timeFrom = Infinity;
  let sentAt = 0;
  const request = (to: string): void => {
    sentAt = performance.now();
    transport.send(to, { type: 'req', id: nextId++, op: 'replica_read', body: { keyspace: 'default', key } });
  };
  transport.onMessage((from, message: PeerMessage) => {
    if (message.type === 'req') {
      served++;
      transport.send(from, {
        type: 'res',
        id: message.id,
        ok: true,
        result: { cell: { value, timestamp: 1 } },
      });
    } else if (message.type === 'res') {
      if (sentAt >= timeFrom) roundTrips.recordMs(performance.now() - sentAt);
      exchanges++;
      if (running) request(from);
    }
  });
  process.on('message', (raw) => {
    const message = raw as ToWorker;
    addresses = message.addresses;
    running = true;
    const peers = addresses.map((_, i) => `w${i}`).filter((id) => id !== hostId);
    if (message.windowPerPeer > 0) {
      for (const peer of peers) for (let i = 0; i < message.windowPerPeer; i++) request(peer);
    } else if (index === 0) {
      timeFrom = performance.now() + ROUND_TRIP_WARMUP_MS;
      request('w1');
    }
    setTimeout(() => {
      running = false;
      const roundTripP50Ms = roundTrips.summary().p50;
      const done: FromWorker = { kind: 'done', exchanges, served, roundTripP50Ms };
      tellParent(done, () => {
        transport.close();
        void server.close().then(() => process.exit(0));
      });
    }, message.durationMs);
  });
  const listening: FromWorker = { kind: 'listening', address: server.url };
  tellParent(listening);
}

/** A worker whose parent is gone has no one to report to, and stops. */
function tellParent(message: FromWorker, then: () => void = () => {}): void {
  if (!process.connected) process.exit(0);
  process.send?.(message, then);
}

async function run(coalesce: boolean, durationMs: number, windowPerPeer: number): Promise<FromWorker[]> {
  const script = fileURLToPath(import.meta.url);
  const children: ChildProcess[] = [];
  try {
    const addresses = await Promise.all(
      Array.from({ length: NODES }, (_, i) => {
        const child = fork(script, ['worker', String(i), coalesce ? 'on' : 'off'], {
          execArgv: process.execArgv,
        });
        children.push(child);
        return new Promise<string>((resolve, reject) => {
          child.once('message', (m) => resolve((m as FromWorker & { kind: 'listening' }).address));
          child.once('exit', (code) => reject(new Error(`worker ${i} exited with ${code}`)));
        });
      }),
    );
    const results = children.map(
      (child) => new Promise<FromWorker>((resolve) => child.once('message', (m) => resolve(m as FromWorker))),
    );
    const start: ToWorker = { kind: 'start', addresses, durationMs, windowPerPeer };
    for (const child of children) child.send(start);
    return await Promise.all(results);
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill();
  }
}

async function main(): Promise<void> {
  const [role, index, mode] = process.argv.slice(2);
  if (role === 'worker') {
    await worker(Number(index), mode === 'on');
    return;
  }
  const durationMs = Number(process.argv[2] ?? 5000);
  const windowPerPeer = Number(process.argv[3] ?? 64);
  console.log(
    `${NODES} processes, ${durationMs} ms each, ${windowPerPeer} exchanges in flight per peer pair`,
  );
  for (const coalesce of [true, false]) {
    const done = await run(coalesce, durationMs, windowPerPeer);
    const exchanges = done.reduce((sum, d) => sum + (d.kind === 'done' ? d.exchanges : 0), 0);
    // Each exchange is two messages: the request and its response.
    const rate = (2 * exchanges) / (durationMs / 1000);
    console.log(
      `coalescing ${coalesce ? 'on ' : 'off'}: ${Math.round(rate).toLocaleString('en-US')} messages/s`,
    );
  }
  const [pinger] = await run(true, ROUND_TRIP_WARMUP_MS + durationMs / 2, 0);
  const p50 = pinger?.kind === 'done' ? pinger.roundTripP50Ms : NaN;
  console.log(`round trip, one exchange at a time: p50 ${p50.toFixed(3)} ms`);
}

await main();
