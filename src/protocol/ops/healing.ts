import { z } from 'zod';
import { bytes, cell, hostId, keyspaceName, tokenString } from '../schema.js';
import { ERROR_CODES } from '../errors.js';

/** A node a round of every node could not ask, or that did not answer, and why. */
export const unansweredNode = z.object({
  hostId,
  address: z.string(),
  error: z.object({ code: z.enum(ERROR_CODES), message: z.string() }),
});
export type UnansweredNode = z.infer<typeof unansweredNode>;

export const hintSummary = z.object({
  holder: hostId,
  target: hostId,
  count: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  /** ms since the epoch of the oldest hint. */
  oldest: z.number(),
  /** The target has been down longer than the hint window: only repair can heal it. */
  pastWindow: z.boolean(),
});

export const repairSummary = z.object({
  keyspace: keyspaceName,
  ranges: z.number().int().nonnegative(),
  mismatched: z.number().int().nonnegative(),
  keysStreamed: z.number().int().nonnegative(),
  bytesStreamed: z.number().int().nonnegative(),
  durationMs: z.number().nonnegative(),
  failedRanges: z.array(z.object({ start: tokenString, end: tokenString, reason: z.string() })),
  preview: z.boolean(),
});

/** The body of a `repair_progress` event, pushed to the client that asked for the repair. */
export const repairProgress = z.object({
  rangesDone: z.number().int().nonnegative(),
  ranges: z.number().int().nonnegative(),
  keysStreamed: z.number().int().nonnegative(),
  /** Of the ranges done, those that could not be repaired (absent from nodes before it was added). */
  rangesFailed: z.number().int().nonnegative().optional(),
});
export type RepairProgress = z.infer<typeof repairProgress>;

export const keyedCell = z.object({ key: bytes, cell });

/** Hinted handoff, anti-entropy repair and range streaming (bootstrap, decommission, removenode). */
export const healingOps = {
  /** Hold a hint for a replica that missed a write (asked by a client that coordinates itself). */
  hint_store: {
    request: z.object({ target: hostId, keyspace: keyspaceName, key: bytes, cell }),
    /** `reason`: why a hint was not stored (absent from nodes before it was added). */
    result: z.object({ stored: z.boolean(), reason: z.string().optional() }),
  },
  /** Hints over the whole cluster, or only this node's with `local`. */
  hints_list: {
    request: z.object({ local: z.boolean().optional() }),
    /** unanswered: nodes whose hints are not counted (down, or silent), absent from older nodes. */
    result: z.object({ hints: z.array(hintSummary), unanswered: z.array(unansweredNode).optional() }),
  },
  hints_truncate: {
    request: z.object({ target: hostId.optional(), local: z.boolean().optional() }),
    /** unanswered: nodes whose hints were not dropped (down, or silent), absent from older nodes. */
    result: z.object({
      truncated: z.number().int().nonnegative(),
      unanswered: z.array(unansweredNode).optional(),
    }),
  },
  /**
   * Anti-entropy repair coordinated by the receiving node; progress comes as `repair_progress`
   * events. It covers the ranges the node replicates, its primary ranges only (`primaryRangeOnly`),
   * or every range of the keyspace (`allRanges`, absent from nodes before it was added).
   */
  repair: {
    request: z.object({
      keyspace: keyspaceName,
      primaryRangeOnly: z.boolean(),
      allRanges: z.boolean().optional(),
      full: z.boolean(),
      preview: z.boolean(),
    }),
    result: repairSummary,
  },
  /**
   * This replica's Merkle tree over a token range (start, end], of `depth`; with `sized`, no
   * deeper than `depth` and as deep as its cells call for (absent from nodes before it was added:
   * they answer at `depth`, which the asker folds the same way).
   */
  merkle_tree: {
    request: z.object({
      keyspace: keyspaceName,
      start: tokenString,
      end: tokenString,
      depth: z.number().int().min(0).max(20),
      sized: z.boolean().optional(),
    }),
    result: z.object({ tree: bytes, cells: z.number().int().nonnegative() }),
  },
  /** A page of this replica's cells in (start, end], in token order, after a cursor. */
  range_scan: {
    request: z.object({
      keyspace: keyspaceName,
      start: tokenString,
      end: tokenString,
      /** Resume after this (token, key). */
      after: z.object({ token: tokenString, key: bytes }).optional(),
      limit: z.number().int().min(1).max(10_000),
    }),
    result: z.object({ cells: z.array(keyedCell.extend({ token: tokenString })), more: z.boolean() }),
  },
  /** Ask a node to copy a range from another replica into its own store (removenode re-replication). */
  range_pull: {
    request: z.object({ keyspace: keyspaceName, start: tokenString, end: tokenString, from: hostId }),
    result: z.object({ cells: z.number().int().nonnegative() }),
  },
  /** Apply many cells at once (streaming): one synced batch. */
  replica_write_batch: {
    request: z.object({ keyspace: keyspaceName, cells: z.array(keyedCell).max(10_000) }),
    result: z.object({ applied: z.number().int().nonnegative() }),
  },
} as const;
