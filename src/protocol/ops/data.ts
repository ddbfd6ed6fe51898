import { z } from 'zod';
import { bytes, cell, consistency, hostId, keyspaceName, micros, traceEvent } from '../schema.js';
import { MAX_SPECULATIVE_RETRY_MS, MAX_TTL_SECONDS } from '../limits.js';

/**
 * How long the client waits (absent: the default, DEFAULT_REQUEST_TIMEOUT_MS): the coordinator
 * gives up on replicas by then if its own request timeout is longer, so that the client hears
 * which replicas did not answer rather than nothing.
 */
const requestTimeoutMs = z.number().int().min(1).optional();

/** Requests a client sends to any node, which coordinates them. Sizes are checked by the node. */
export const dataOps = {
  /** A put (value) or a delete (value null), coordinated by the receiving node. */
  mutate: {
    request: z.object({
      keyspace: keyspaceName,
      key: bytes,
      value: bytes.nullable(),
      cl: consistency,
      timestamp: micros.optional(),
      ttl: z.number().int().min(1).max(MAX_TTL_SECONDS).optional(),
      trace: z.boolean().optional(),
      timeoutMs: requestTimeoutMs,
    }),
    result: z.object({
      timestamp: micros,
      coordinator: hostId,
      acks: z.array(hostId),
      hinted: z.array(hostId),
      trace: z.array(traceEvent).optional(),
    }),
  },
  read: {
    request: z.object({
      keyspace: keyspaceName,
      key: bytes,
      cl: consistency,
      trace: z.boolean().optional(),
      timeoutMs: requestTimeoutMs,
      /** ms after which a read asks one more replica; absent: the node's own 99p rule; 0: never. */
      speculativeRetryMs: z.number().min(0).max(MAX_SPECULATIVE_RETRY_MS).optional(),
      /** Otherwise ask one more replica after this percentile of its latency; absent: the node's own (99). */
      speculativeRetryPercentile: z.number().gt(0).max(100).optional(),
    }),
    result: z.object({
      found: z.boolean(),
      value: bytes.optional(),
      timestamp: micros.optional(),
      coordinator: hostId,
      replicas: z.array(hostId),
      repaired: z.array(hostId),
      trace: z.array(traceEvent).optional(),
    }),
  },
  /** Replica level: apply a cell (last write wins) durably. Peers send it; so may a coordinating client. */
  replica_write: {
    request: z.object({ keyspace: keyspaceName, key: bytes, cell }),
    result: z.object({}),
  },
  /** Replica level: this replica's cell for a key. */
  replica_read: {
    request: z.object({ keyspace: keyspaceName, key: bytes }),
    result: z.object({ cell: cell.optional() }),
  },
} as const;
