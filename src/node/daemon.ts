import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { Connection, type ConnectionOptions } from '../client/connection.js';
import { InFlight } from '../coordination/in-flight.js';
import { systemClock, systemRandom } from '../coordination/system-clock.js';
import { asRingkvError, nodeStopping, RingkvError } from '../protocol/errors.js';
import { settlesWithin } from '../protocol/settles-within.js';
import { makeDataFolder } from './data-folder.js';
import { loadOrCreateMeta, nextGeneration, type NodeMeta } from './meta.js';
import { WsServer } from './net/server.js';
import { WsTransport } from './net/ws-transport.js';
import { RingkvNode, type NodeConfig } from './ringkv-node.js';
import { LevelStorage } from './storage/level.js';
import type { Logger } from './world.js';

export interface DaemonOptions extends Omit<NodeConfig, 'address' | 'dc' | 'rack'> {
  /** Absent: where the data folder's node stood (a new one: dc1, rack1). */
  dc?: string | undefined;
  rack?: string | undefined;
  host: string;
  port: number;
  /** The host others dial; defaults to --host. */
  broadcastHost?: string | undefined;
  dataDir: string;
  secret?: string | undefined;
  insecure: boolean;
  logger: Logger;
}

export interface RunningDaemon {
  address: string;
  hostId: string;
  node: RingkvNode;
  /** Stops cleanly: no new requests, everything acknowledged is already synced, storage closed. */
  stop(): Promise<void>;
  /** Resolves when a client asked the node to stop (stop, decommission). */
  stopRequested: Promise<void>;
  /**
   * Resolves with the reason when the node cannot go on: a write to its disk failed (a full
   * disk). Its caller stops it, as Cassandra's commit failure policy does: a replica that takes no
   * writes is a dead one, which coordinators hint for and clients route around.
   */
  failed: Promise<RingkvError>;
}

/** Beyond the request timeout, the time a stopping node gives requests under way to answer. */
const DRAIN_SLACK_MS = 500;
/** How long a start waits for each answer while it looks for its node running elsewhere (a gone machine never answers). */
const COPY_CHECK_TIMEOUT_MS = 1000;

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/**
 * With --port 0 a node listens on a free port: the one it had last time when that is free, so
 * that a node restarted the same way keeps its address, which its peers and their seeds name.
 */
async function listen(o: DaemonOptions, meta: NodeMeta): Promise<WsServer> {
  const options = {
    host: o.host,
    clusterName: o.clusterName,
    hostId: meta.hostId,
    secret: o.secret,
    maxValueBytes: o.maxValueBytes,
    logger: o.logger,
  };
  if (o.port === 0 && meta.port !== undefined) {
    try {
      return await WsServer.listen({ ...options, port: meta.port });
    } catch (e) {
      o.logger.info('the port of the last start is not free: listening on another', {
        port: meta.port,
        error: asRingkvError(e).message,
      });
    }
  }
  return WsServer.listen({ ...options, port: o.port });
}

/**
 * A node that would listen beyond loopback without a secret is refused; checked before anything
 * is made, also by a detaching start before it makes the data folder and its log.
 */
export function refuseOpenListener(o: Pick<DaemonOptions, 'host' | 'secret' | 'insecure'>): void {
  if (!o.secret && !isLoopback(o.host) && !o.insecure) {
    throw new RingkvError(
      'REFUSED',
      `refusing to listen on ${o.host} without a cluster secret: anyone who reaches it could read and write; pass --secret (or RINGKV_SECRET), or --insecure on a trusted network`,
    );
  }
}

/** Starts a node on ws and LevelDB. Start-up failures are RingkvErrors with one clear line. */
export async function startDaemon(o: DaemonOptions): Promise<RunningDaemon> {
  refuseOpenListener(o);
  await makeDataFolder(o.dataDir);
  let fail: (e: RingkvError) => void = () => {};
  const failed = new Promise<RingkvError>((resolve) => (fail = resolve));
  const storage = await LevelStorage.open(o.dataDir, (e) => fail(e));
  let server: WsServer | undefined;
  let started: { node: RingkvNode; transport: WsTransport } | undefined;
  try {
    const stored = await loadOrCreateMeta(
      storage,
      o.clusterName,
      { dc: o.dc, rack: o.rack },
      randomUUID,
      o.dataDir,
    );
    // Before listening: whatever answers at the last address then is not this process.
    await refuseCopyOfRunningNode(stored, o);
    server = await listen(o, stored);
    const host = o.broadcastHost ?? o.host;
    const address = `ws://${host.includes(':') ? `[${host}]` : host}:${server.address().port}`;
    const meta = await nextGeneration(
      storage,
      { ...stored, port: server.address().port, address },
      systemClock.nowMicros(),
    );
    // The node knows peers' addresses through gossip; it exists only after the transport does.
    let addressBook: (hostId: string) => string | undefined = () => undefined;
    const transport = new WsTransport({
      hostId: meta.hostId,
      clusterName: o.clusterName,
      secret: o.secret,
      address,
      resolveAddress: (id) => addressBook(id),
      server,
      maxValueBytes: o.maxValueBytes,
      logger: o.logger,
    });
    const node = new RingkvNode(
      { ...o, address, dc: stored.dc, rack: stored.rack },
      {
        clock: systemClock,
        random: systemRandom,
        transport,
        storage,
        logger: o.logger,
        resolveSeed: (seed) => resolveSeed(seed, o.clusterName, o.secret),
      },
      meta,
    );
    addressBook = (id) => node.addressOf(id);
    started = { node, transport };
    const running = node;
    // Client requests being served, so that a stopping node can let them finish first.
    const inFlight = new InFlight();
    let draining = false;
    server.onClientRequest((conn, req) => {
      if (draining) {
        // Not begun, so a client may send it to another coordinator, a write as well.
        conn.replyError(req.id, nodeStopping('the node'));
        return;
      }
      inFlight.begin();
      running
        .handle(req.op, req.body, { kind: 'client', push: (event, body) => conn.push(event, body) })
        .then(
          (result) => {
            conn.reply(req.id, result);
            inFlight.end();
          },
          (e: unknown) => {
            conn.replyError(req.id, asRingkvError(e));
            inFlight.end();
          },
        );
    });
    let requestStop: () => void = () => {};
    const stopRequested = new Promise<void>((resolve) => (requestStop = resolve));
    node.onStopRequested(() => requestStop());
    await node.start();
    o.logger.info('node is accepting requests', {
      address,
      hostId: meta.hostId,
      dc: stored.dc,
      rack: stored.rack,
    });
    const listening = server;
    let stopping: Promise<void> | undefined;
    return {
      address,
      hostId: meta.hostId,
      node,
      stopRequested,
      failed,
      stop: () => {
        stopping ??= (async () => {
          // Requests under way get their answer (a write whose local replica just failed still
          // has its remote acks to count) rather than a closed connection; then the writes they
          // coordinated hear from their last replicas, or store hints for them, while the
          // connections and the storage are still open. One limit for both.
          draining = true;
          // Peers take this node for DOWN now and hint what they would send it meanwhile.
          const announced = running.announceShutdown();
          const settled = (async () => {
            await inFlight.idle();
            await running.writesSettled();
          })();
          await settlesWithin(settled, o.requestTimeoutMs + DRAIN_SLACK_MS);
          await announced;
          running.stop();
          transport.close();
          // Storage before the client connections: a client that saw the node close may start
          // another on the same data folder at once, and LevelDB's lock must be free by then.
          await storage.close();
          await listening.close();
          o.logger.info('node stopped', { hostId: meta.hostId });
        })();
        return stopping;
      },
    };
  } catch (e) {
    // A join that failed has gossip and housekeeping running: stop them, or the process would
    // stay up serving nothing, and a detaching `start` would wait for it in vain.
    started?.node.stop();
    started?.transport.close();
    await server?.close().catch(() => undefined);
    await storage.close().catch(() => undefined);
    throw e;
  }
}

/**
 * A data folder copied from a node that still runs (a cloned machine image, a folder copied to
 * make another node, or a node moved to another machine whose old folder is started again) holds
 * that node's host id and tokens: started, the copy answers clients as that node from data that
 * stops at the copy (seen: keys written since read as not found), and the cluster holds two
 * processes for one node. A start refuses when a node with this host id takes requests where the
 * folder's node listened last, or where a seed sees a node of this host id UP. A node that
 * answers "stopping" is this folder's own, on its way out and restarted at once. Run before the
 * node listens, so that whatever answers is not this process.
 */
async function refuseCopyOfRunningNode(meta: NodeMeta, o: DaemonOptions): Promise<void> {
  if (meta.address === undefined) return;
  const dial: ConnectionOptions = {
    clusterName: o.clusterName,
    timeoutMs: COPY_CHECK_TIMEOUT_MS,
    ...(o.secret ? { secret: o.secret } : {}),
  };
  const candidates = new Set([meta.address, ...(await addressesSeenUp(meta.hostId, o.seeds, dial))]);
  for (const address of candidates) {
    if (!(await takesRequestsAs(meta.hostId, address, dial))) continue;
    throw new RingkvError(
      'REFUSED',
      `node ${meta.hostId} of data folder ${o.dataDir} is running at ${address}: this folder is a copy of that node's; to add a node, start it with an empty --data folder; to move that node here, stop it first`,
      { dataDir: o.dataDir, hostId: meta.hostId, address },
    );
  }
}

/** Where the seeds that answer see a node of this host id UP; none when no seed answers. */
async function addressesSeenUp(
  hostId: string,
  seeds: readonly string[],
  dial: ConnectionOptions,
): Promise<string[]> {
  const views = await Promise.all(
    seeds.map((seed) => askNode(seed, dial, (conn) => conn.request('topology', {}, dial.timeoutMs))),
  );
  return views
    .flatMap((view) => view?.nodes ?? [])
    .filter((n) => n.hostId === hostId && n.state === 'UP')
    .map((n) => n.address);
}

/** Whether a node with this host id answers a request at `address`; any failure says no. */
async function takesRequestsAs(hostId: string, address: string, dial: ConnectionOptions): Promise<boolean> {
  const answered = await askNode(address, dial, async (conn) => {
    if (conn.serverHostId !== hostId) return false;
    await conn.request('clock_probe', {}, dial.timeoutMs);
    return true;
  });
  return answered === true;
}

/** Opens a client connection, asks what `ask` asks, and closes it; undefined when any of it fails. */
async function askNode<T>(
  address: string,
  dial: ConnectionOptions,
  ask: (conn: Connection) => Promise<T>,
): Promise<T | undefined> {
  let conn: Connection;
  try {
    conn = await Connection.open(address, dial);
  } catch {
    return undefined;
  }
  try {
    return await ask(conn);
  } catch {
    return undefined;
  } finally {
    conn.close();
  }
}

/** A seed's host id, learned from its handshake. */
async function resolveSeed(
  address: string,
  clusterName: string,
  secret: string | undefined,
): Promise<string | undefined> {
  try {
    const conn = await Connection.open(address, {
      clusterName,
      timeoutMs: 2000,
      ...(secret ? { secret } : {}),
    });
    const id = conn.serverHostId;
    conn.close();
    return id;
  } catch (e) {
    if (e instanceof RingkvError && e.code === 'UNAUTHORIZED') throw e;
    return undefined;
  }
}
