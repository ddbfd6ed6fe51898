import { Packr } from 'msgpackr';
import { RingkvError } from '../protocol/errors.js';
import { metaKey } from './storage/keys.js';
import type { EndpointState, KeyspaceDefinition } from './gossip/messages.js';
import type { Storage } from './world.js';

const packr = new Packr({ useRecords: false });

/**
 * What a node remembers about itself across restarts: its host id and tokens (so a restart
 * rejoins as the same node without streaming), its cluster, and the keyspaces it knows.
 */
export interface NodeMeta {
  clusterName: string;
  hostId: string;
  /** Decimal strings; empty until the node has joined. */
  tokens: string[];
  /** Set once the node streamed its ranges; a restart before that bootstraps again with the same tokens. */
  bootstrapped: boolean;
  /** The last gossip generation used, so a restart always uses a higher one. */
  generation: number;
  keyspaces: Record<string, KeyspaceDefinition>;
  /**
   * The other nodes' last gossiped states (Cassandra's system.peers), so that a restarted node
   * knows the ring before gossip reaches it, instead of coordinating with a ring of itself alone.
   */
  peers?: EndpointState[];
  /**
   * Set once a decommission handed the node's ranges on: its data stops being kept up to date,
   * so the node must never serve it again (a restart refuses to start).
   */
  decommissioned?: boolean;
  /**
   * Where the node stood when it last started. Its replicas were placed by them (rack-aware, per
   * data center), so a node with tokens may not come back elsewhere. Absent in folders of nodes
   * that never said.
   */
  dc?: string;
  rack?: string;
  /** The port the node last listened on: `--port 0` takes it again when it is free. */
  port?: number;
  /**
   * The address the node last announced. A node still answering there with this host id means
   * the folder is a copy of a running node's (see the daemon's start).
   */
  address?: string;
}

const META_NAME = 'node';

export async function loadMeta(storage: Storage): Promise<NodeMeta | undefined> {
  const raw = await storage.get(metaKey(META_NAME));
  return raw ? (packr.unpack(raw) as NodeMeta) : undefined;
}

export async function saveMeta(storage: Storage, meta: NodeMeta): Promise<void> {
  await storage.write([{ key: metaKey(META_NAME), value: packr.pack(meta) }]);
}

/**
 * The meta of a node that starts again, saved with a gossip generation higher than anything it
 * said before, whatever its clock did: peers then take its new state over what they remember.
 */
export async function nextGeneration(storage: Storage, meta: NodeMeta, nowMicros: number): Promise<NodeMeta> {
  const next = { ...meta, generation: Math.max(Math.floor(nowMicros / 1000), meta.generation + 1) };
  await saveMeta(storage, next);
  return next;
}

/** Where a node stands when neither its start nor its data folder says. */
export const DEFAULT_DC = 'dc1';
export const DEFAULT_RACK = 'rack1';

/**
 * A data folder belongs to one cluster: starting it as part of another is refused. A node that
 * holds tokens stays in its data center and rack: its ranges' replicas were placed by them, and
 * moving it would make other nodes replicas of data they do not have (Cassandra refuses the same).
 * A start that does not say where the node stands keeps the folder's place (else DEFAULT_DC and
 * DEFAULT_RACK), as it keeps its host id and tokens.
 */
export async function loadOrCreateMeta(
  storage: Storage,
  clusterName: string,
  asked: { dc?: string | undefined; rack?: string | undefined },
  newHostId: () => string,
  dataDir: string,
): Promise<NodeMeta & { dc: string; rack: string }> {
  const existing = await loadMeta(storage);
  const place = {
    dc: asked.dc ?? existing?.dc ?? DEFAULT_DC,
    rack: asked.rack ?? existing?.rack ?? DEFAULT_RACK,
  };
  if (existing) {
    if (existing.clusterName !== clusterName) {
      throw new RingkvError(
        'REFUSED',
        `data folder ${dataDir} belongs to cluster "${existing.clusterName}", not "${clusterName}": pass --cluster-name ${existing.clusterName} or use another --data folder`,
      );
    }
    const moved =
      existing.tokens.length > 0 &&
      existing.dc !== undefined &&
      (existing.dc !== place.dc || existing.rack !== place.rack);
    if (moved) {
      throw new RingkvError(
        'REFUSED',
        `data folder ${dataDir} holds a node of data center ${existing.dc}, rack ${existing.rack}: in ${place.dc}, rack ${place.rack}, other nodes would become replicas of data they do not have; start it without --dc and --rack (or with --dc ${existing.dc} --rack ${existing.rack}), or decommission the node and start it again on an empty data folder`,
      );
    }
    const placed = { ...existing, ...place };
    if (existing.dc !== place.dc || existing.rack !== place.rack) await saveMeta(storage, placed);
    return placed;
  }
  const meta: NodeMeta & { dc: string; rack: string } = {
    clusterName,
    hostId: newHostId(),
    tokens: [],
    bootstrapped: false,
    generation: 0,
    keyspaces: {},
    ...place,
  };
  await saveMeta(storage, meta);
  return meta;
}
