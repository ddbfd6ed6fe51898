import { z } from 'zod';
import { hostId, keyspaceName, replication, tokenString } from '../schema.js';

export const NODE_STATUSES = ['JOINING', 'NORMAL', 'LEAVING', 'LEFT'] as const;

export const nodeInfo = z.object({
  hostId,
  /** ws://host:port that peers and clients dial. */
  address: z.string(),
  dc: z.string(),
  rack: z.string(),
  tokens: z.array(tokenString),
  status: z.enum(NODE_STATUSES),
  /** As the answering node's failure detector sees it. */
  state: z.enum(['UP', 'DOWN']),
  /** Bytes on disk, as last gossiped. */
  load: z.number().nonnegative(),
  /** While JOINING or LEAVING: the share of its ranges already streamed (0..1). */
  streamProgress: z.number().min(0).max(1).optional(),
  /** The node's wall clock minus the answering node's, in ms, as last gossiped; absent if unknown. */
  clockOffsetMs: z.number().optional(),
});

export const topology = z.object({
  clusterName: z.string(),
  /** The answering node. */
  hostId,
  nodes: z.array(nodeInfo),
  keyspaces: z.record(z.string(), replication),
});

const count = z.number().int().nonnegative();

/**
 * Requests of one kind a node coordinated since it started; the latency (ms) is of those answered
 * in the last minute or two.
 */
const coordinatedRequests = z.object({
  requests: count,
  failed: z.record(z.string(), count),
  latency: z.object({
    p50: z.number().nonnegative(),
    p90: z.number().nonnegative(),
    p99: z.number().nonnegative(),
    max: z.number().nonnegative(),
  }),
});

/** Requests about the cluster, answered by the contact node. */
export const clusterOps = {
  topology: { request: z.object({}), result: topology },
  keyspace_create: {
    request: z.object({ name: keyspaceName, replication }),
    result: z.object({ name: keyspaceName, replication }),
  },
  /** A new replication for an existing keyspace; `previous` is the one it replaces. */
  keyspace_alter: {
    request: z.object({ name: keyspaceName, replication }),
    result: z.object({ name: keyspaceName, replication, previous: replication }),
  },
  /** The receiving node's wall clock, for clock-offset estimates (NTP-style, halving the round trip). */
  clock_probe: { request: z.object({}), result: z.object({ wallClockMs: z.number() }) },
  /** Graceful stop of the receiving node. */
  stop: { request: z.object({}), result: z.object({ hostId }) },
  /** A node started with --no-join joins the ring now, through these seeds (or its own). */
  join: {
    request: z.object({ seeds: z.array(z.string()).optional() }),
    result: z.object({ hostId, tokens: z.number() }),
  },
  /** The receiving node streams its data away and leaves the ring. */
  decommission: { request: z.object({}), result: z.object({ hostId, keysStreamed: z.number() }) },
  /**
   * Drops the cells the receiving node holds but is no longer a replica of, as after nodes joined
   * or a replication factor went down (Cassandra's nodetool cleanup). All keyspaces, or one.
   */
  cleanup: {
    request: z.object({ keyspace: keyspaceName.optional() }),
    result: z.object({
      hostId,
      keyspaces: z.array(z.object({ keyspace: keyspaceName, dropped: z.number().int().nonnegative() })),
      dropped: z.number().int().nonnegative(),
      durationMs: z.number().nonnegative(),
    }),
  },
  /** What the receiving node has done since it started (ringkv stats). */
  stats: {
    request: z.object({}),
    result: z.object({
      hostId,
      address: z.string(),
      uptimeMs: count,
      coordinator: z.object({ writes: coordinatedRequests, reads: coordinatedRequests, readRepairs: count }),
      replica: z.object({ writes: count, reads: count }),
      hints: z.object({ stored: count, delivered: count }),
      storage: z.object({ syncs: count, writes: count, largestGroup: count }),
      /** Absent from nodes before it was added. */
      rowCache: z
        .object({ rows: count, bytes: count, capacityBytes: count, hits: count, misses: count })
        .optional(),
    }),
  },
  /** Drop a dead node; the survivors re-replicate its ranges. */
  removenode: { request: z.object({ hostId }), result: z.object({ hostId, keysStreamed: z.number() }) },
} as const;
