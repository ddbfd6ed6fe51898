import { Flags } from '@oclif/core';

export const keyspaceFlag = Flags.string({
  description: 'keyspace',
  // Exists from the start (simple, RF 3), as DESIGN.md fixes.
  default: 'default',
});

export const clFlag = Flags.string({
  description: 'consistency level: any one two three quorum local_one local_quorum each_quorum all',
  // DESIGN.md: the default CL is ONE, as in Cassandra.
  default: 'one',
});

export const traceFlag = Flags.boolean({
  description: 'show what the coordinator did, with latencies',
  default: false,
});
