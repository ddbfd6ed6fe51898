import { z } from 'zod';
import { gossipAck, gossipAck2, gossipSyn } from './gossip-state.js';

/**
 * Gossip between peers: a syn, answered by an ack, answered by an ack2. Each travels as its own
 * request (not as the response of the previous one) so a round is three one-way messages that can
 * each be lost without holding a request open; the results are empty.
 */
export const gossipOps = {
  gossip_syn: { request: gossipSyn, result: z.object({}) },
  gossip_ack: { request: gossipAck, result: z.object({}) },
  gossip_ack2: { request: gossipAck2, result: z.object({}) },
  /**
   * A node that is stopping tells the peers it sees UP, which take it for DOWN at once rather than
   * after the failure detector's ten seconds (Cassandra's shutdown announcement).
   */
  gossip_shutdown: { request: z.object({}), result: z.object({}) },
} as const;
