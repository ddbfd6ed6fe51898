import { RingkvError } from '../protocol/errors.js';
import type { OpName, OpRequest, OpResult } from '../protocol/ops/index.js';
import type { Coordinator } from '../coordination/coordinator.js';
import type { Replica } from './replica.js';
import type { NodeStats } from './stats.js';
import type { HostId } from './world.js';

/**
 * Who sent a request: a client, or an authenticated peer node. Both may use every operation
 * (a client that coordinates itself writes to replicas directly).
 */
export type Origin =
  { kind: 'client'; push?: (event: string, body: unknown) => void } | { kind: 'peer'; hostId: HostId };

export type Handler<K extends OpName> = (body: OpRequest<K>, origin: Origin) => Promise<OpResult<K>>;
export type HandlerTable = { [K in OpName]?: Handler<K> };

/** Routes a validated request to the part of the node that answers it. */
export class Dispatcher {
  private readonly table: HandlerTable = {};

  register<K extends OpName>(op: K, handler: Handler<K>): void {
    (this.table as Record<string, unknown>)[op] = handler;
  }

  registerAll(handlers: HandlerTable): void {
    for (const [op, h] of Object.entries(handlers)) (this.table as Record<string, unknown>)[op] = h;
  }

  dispatch(op: OpName, body: unknown, origin: Origin): Promise<unknown> {
    const handler = this.table[op] as Handler<OpName> | undefined;
    if (!handler)
      return Promise.reject(new RingkvError('INVALID_REQUEST', `this node does not serve "${op}"`));
    return handler(body as OpRequest<OpName>, origin);
  }
}

export function dataPathHandlers(coordinator: Coordinator, replica: Replica, stats: NodeStats): HandlerTable {
  const repaired = (r: OpResult<'read'>) => (stats.readRepairs += r.repaired.length);
  return {
    mutate: (body) => stats.coordinated(stats.writes, coordinator.mutate(body)),
    read: (body) => stats.coordinated(stats.reads, coordinator.read(body), repaired),
    replica_write: (body) => {
      stats.replicaWrites++;
      return replica.write(body);
    },
    replica_write_batch: (body) => {
      stats.replicaWrites += body.cells.length;
      return replica.writeBatch(body);
    },
    replica_read: (body) => {
      stats.replicaReads++;
      return replica.read(body);
    },
  };
}
