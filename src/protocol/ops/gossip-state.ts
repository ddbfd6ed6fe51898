import { z } from 'zod';
import { hostId, keyspaceName, micros, replication, tokenString } from '../schema.js';
import { MAX_LOCATION_LENGTH } from '../limits.js';
import { NODE_STATUSES } from './cluster.js';

/**
 * What nodes gossip about each other (Cassandra-style). A node's state is versioned by
 * (generation, version): the generation is the node's start time in ms, so a restarted node wins
 * over everything it said before; the version counts every change within a generation. The state
 * has two parts with their own version, so the part that changes every second travels alone:
 * the heartbeat (heartbeat, wallClockMs, version) and the info (everything else, `infoVersion`).
 */

/** Bounds on what one gossip message may hold, so a bad peer cannot make us allocate without end. */
export const MAX_GOSSIP_NODES = 1000;
export const MAX_TOKENS_PER_NODE = 1024;
export const MAX_GOSSIP_KEYSPACES = 1000;
const MAX_ADDRESS_LENGTH = 256;

const counter = z.number().int().nonnegative();

/**
 * A keyspace definition as it spreads. Of two creations of one name the earliest wins; of two
 * replications of one creation, the latest change (`keyspace alter`) wins.
 */
export const keyspaceDefinition = z.object({
  replication,
  /** When it was created, by the creating node's clock; orders concurrent definitions. */
  createdAtMicros: micros,
  /** When its replication was last changed, by the altering node's clock; absent: never. */
  alteredAtMicros: micros.optional(),
});

/** The part of a node's state that changes every gossip round. */
export const heartbeatState = z.object({
  hostId,
  /** The node's start time, ms since the epoch; higher means a later incarnation. */
  generation: counter,
  /** Bumped on every change of the node's state, heartbeats included; monotonic within a generation. */
  version: counter,
  /** The version at which the info part (all below) last changed; at most `version`. */
  infoVersion: counter,
  /** Bumped once per gossip round by the node itself. */
  heartbeat: counter,
  /** The node's wall clock, ms since the epoch, when it last bumped; for clock-offset reports. */
  wallClockMs: z.number().nonnegative(),
});

export const endpointState = heartbeatState.extend({
  /** ws://host:port that peers and clients dial. */
  address: z.string().min(1).max(MAX_ADDRESS_LENGTH),
  dc: z.string().min(1).max(MAX_LOCATION_LENGTH),
  rack: z.string().min(1).max(MAX_LOCATION_LENGTH),
  tokens: z.array(tokenString).max(MAX_TOKENS_PER_NODE),
  status: z.enum(NODE_STATUSES),
  /** Bytes on disk. */
  load: z.number().nonnegative(),
  /** While JOINING or LEAVING: the share of the ranges to stream already streamed (0..1). */
  streamProgress: z.number().min(0).max(1).optional(),
  keyspaces: z
    .record(keyspaceName, keyspaceDefinition)
    .refine((k) => Object.keys(k).length <= MAX_GOSSIP_KEYSPACES, 'too many keyspaces'),
});

/**
 * "I hold this node's state at (generation, version), its info part at infoVersion"; all 0 means
 * nothing. The info version lets the other side send the heartbeat alone exactly when our info
 * part is the current one.
 */
export const gossipDigest = z.object({ hostId, generation: counter, version: counter, infoVersion: counter });

/** Opens a round: the sender's digest of every node it knows. */
export const gossipSyn = z.object({
  kind: z.literal('syn'),
  digests: z.array(gossipDigest).max(MAX_GOSSIP_NODES),
});

/**
 * The answer to a syn: full states where the syn's sender knows an older info part (or nothing),
 * heartbeats alone where only those moved, and digests of what the answerer wants in return.
 */
export const gossipAck = z.object({
  kind: z.literal('ack'),
  states: z.array(endpointState).max(MAX_GOSSIP_NODES),
  beats: z.array(heartbeatState).max(MAX_GOSSIP_NODES),
  digests: z.array(gossipDigest).max(MAX_GOSSIP_NODES),
});

/** Closes a round: what the ack asked for. */
export const gossipAck2 = z.object({
  kind: z.literal('ack2'),
  states: z.array(endpointState).max(MAX_GOSSIP_NODES),
  beats: z.array(heartbeatState).max(MAX_GOSSIP_NODES),
});

export const gossipMessage = z.discriminatedUnion('kind', [gossipSyn, gossipAck, gossipAck2]);
