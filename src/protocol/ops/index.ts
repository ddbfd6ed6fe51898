import type { z } from 'zod';
import { clusterOps } from './cluster.js';
import { dataOps } from './data.js';
import { gossipOps } from './gossip.js';
import { healingOps } from './healing.js';

/**
 * Every request type with the schema of its body and of its result. Names are the protocol:
 * append only, never rename. Each domain keeps its own file.
 */
export const OPS = {
  ...dataOps,
  ...clusterOps,
  ...healingOps,
  ...gossipOps,
} as const;

export type OpName = keyof typeof OPS;
export type OpRequest<K extends OpName> = z.infer<(typeof OPS)[K]['request']>;
export type OpResult<K extends OpName> = z.infer<(typeof OPS)[K]['result']>;

export function isOpName(name: string): name is OpName {
  return Object.hasOwn(OPS, name);
}
