import { Flags } from '@oclif/core';
import { keyspaceNameProblem } from '../protocol/limits.js';
import { usage } from './base-command.js';

/** A keyspace name checked before anything is sent: a bad one is a usage error, not the node's. */
export function parseKeyspaceName(name: string): Promise<string> {
  const problem = keyspaceNameProblem(name);
  return problem === undefined ? Promise.resolve(name) : Promise.reject(usage(problem));
}

/** --keyspace, defaulting to the keyspace that exists from the start (simple, RF 3, DESIGN.md). */
export function keyspaceFlagFor(description: string) {
  return Flags.string({ description, default: 'default', parse: parseKeyspaceName });
}

export const keyspaceFlag = keyspaceFlagFor('keyspace');

export const clFlag = Flags.string({
  description: 'consistency level: any one two three quorum local_one local_quorum each_quorum all',
  // DESIGN.md: the default CL is ONE, as in Cassandra.
  default: 'one',
});

export const traceFlag = Flags.boolean({
  description: 'show what the coordinator did, with latencies',
  default: false,
});
