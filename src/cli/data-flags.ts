import { Args, Flags } from '@oclif/core';
import { keyspaceNameProblem } from '../protocol/limits.js';
import { usage } from './base-command.js';

/**
 * An oclif parser for a flag or argument that refuses, as a usage error, a value `problemOf`
 * finds something wrong with: checked before anything is sent or started.
 */
export function refusing(
  problemOf: (value: string) => string | undefined,
): (value: string) => Promise<string> {
  return (value) => {
    const problem = problemOf(value);
    return problem === undefined ? Promise.resolve(value) : Promise.reject(usage(problem));
  };
}

/** A keyspace name no keyspace can have is a usage error, not the node's. */
export const parseKeyspaceName = refusing(keyspaceNameProblem);

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

/**
 * Arguments are never read from standard input: oclif would fill a missing one from a pipe,
 * trimmed and only if the pipe delivers within 10 ms, so a script's outcome would depend on
 * timing. A value from a pipe is `put --value-file -`, byte for byte.
 */
export const fromArgvOnly = { ignoreStdin: true } as const;

export const EMPTY_KEY = 'the key is empty: a key has at least one byte';

/**
 * What is wrong with text from the command line as a key or a value. Node reads the command line
 * as UTF-8 and turns every byte that is not into U+FFFD, so two different byte strings arrive as
 * one: a key holding it would silently name another key's data.
 */
export function argumentTextProblem(text: string, what: 'key' | 'value'): string | undefined {
  if (what === 'key' && text === '') return EMPTY_KEY;
  if (text.includes('\uFFFD'))
    return `the ${what} is not UTF-8 text (a byte that is not UTF-8 reads as U+FFFD, which cannot say which byte it was)${what === 'value' ? ': give bytes with --value-file' : ''}`;
  return undefined;
}

export const keyArg = Args.string({
  required: true,
  description: 'the key (UTF-8)',
  parse: refusing((key) => argumentTextProblem(key, 'key')),
  ...fromArgvOnly,
});
