import type { z } from 'zod';
import type {
  endpointState,
  gossipAck,
  gossipAck2,
  gossipDigest,
  gossipMessage,
  gossipSyn,
  heartbeatState,
  keyspaceDefinition,
} from '../../protocol/ops/gossip-state.js';

/** The gossip wire schemas live in protocol/ (the socket validates with them); the core uses their types. */
export {
  endpointState,
  gossipAck,
  gossipAck2,
  gossipDigest,
  gossipMessage,
  gossipSyn,
  heartbeatState,
  keyspaceDefinition,
  MAX_GOSSIP_NODES,
} from '../../protocol/ops/gossip-state.js';

export type EndpointState = z.infer<typeof endpointState>;
export type HeartbeatState = z.infer<typeof heartbeatState>;
export type KeyspaceDefinition = z.infer<typeof keyspaceDefinition>;
export type GossipDigest = z.infer<typeof gossipDigest>;
export type GossipSyn = z.infer<typeof gossipSyn>;
export type GossipAck = z.infer<typeof gossipAck>;
export type GossipAck2 = z.infer<typeof gossipAck2>;
export type GossipMessage = z.infer<typeof gossipMessage>;
export type NodeStatus = EndpointState['status'];
