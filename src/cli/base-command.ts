import { Command, Flags, Errors } from '@oclif/core';
import { COORDINATIONS, ROUTE_POLICIES } from '../client/api.js';
import { RingkvError, exitCodeFor, isRingkvError } from '../protocol/errors.js';
import { closest } from '../protocol/closest.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, MAX_REQUEST_TIMEOUT_MS } from '../protocol/limits.js';
import { errorJson, errorLine } from '../repl/format.js';

/**
 * Every command: prints for people by default and exactly one JSON document with --json
 * (oclif's enableJsonFlag: run() returns the result, the human view renders it). Expected
 * failures print one line `error CODE: message` on stderr, with what to try appended as the REPL
 * does, and exit 1, 2 or 3 (CLI.md). A bug is one line too; RINGKV_DEBUG=1 adds its stack trace.
 */
export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true;

  override async init(): Promise<void> {
    await super.init();
    // A bug that escapes run() in a callback. An unhandled rejection reaches this too: with no
    // 'unhandledRejection' listener, Node raises it as an uncaught exception.
    process.on('uncaughtException', (e) => this.onBug(e instanceof Error ? e : new Error(String(e))));
  }

  /**
   * What a command does about a bug that escaped run(): say so in one line and exit 1. A command
   * that stays up (start) overrides it to stop cleanly; it may be called again while it does.
   */
  protected onBug(e: Error): void {
    // --json prints one document: after the result, the line on stderr and the exit code say it.
    reportFailure(internalError(e, this.id), this.jsonEnabled() && !this.printedJson);
    process.exit();
  }

  private printedJson = false;

  override logJson(json: unknown): void {
    this.printedJson = true;
    super.logJson(json);
  }

  /** Human output; silent with --json, where the returned object is printed instead. */
  protected say(line = ''): void {
    if (!this.jsonEnabled()) this.log(line);
  }

  /** Progress and warnings go to stderr so that stdout stays the result. */
  protected note(line: string): void {
    process.stderr.write(`${line}\n`);
  }

  protected override async catch(
    err: Error & { exitCode?: number; oclif?: { exit?: number } },
  ): Promise<unknown> {
    if (err instanceof Errors.ExitError) throw err;
    const failure = toRingkvError(err, this.ctor.flags, this.id) ?? internalError(err, this.id);
    // Arguments that failed to parse were parsed: without this, oclif adds "did not parse its
    // arguments. Did you forget to call 'this.parse'?" under NODE_ENV=development or test.
    if (failure.code === 'USAGE') this.parsed = true;
    reportFailure(failure, this.jsonEnabled());
    return Promise.resolve(undefined);
  }
}

/** A failure as every command reports it: one line on stderr, the error document with --json, the exit code. */
export function reportFailure(failure: RingkvError, json: boolean): void {
  process.stderr.write(`${errorLine(failure)}\n`);
  if (json) process.stdout.write(`${JSON.stringify(errorJson(failure))}\n`);
  process.exitCode = exitCodeFor(failure.code);
}

/**
 * An exception that is not a RingkvError is a bug in ringkv, not something the user did: said in
 * one line, as the REPL and the node say theirs, with the stack for whoever reports it.
 */
export function internalError(err: Error, commandId: string | undefined): RingkvError {
  if (process.env.RINGKV_DEBUG) process.stderr.write(`${err.stack ?? String(err)}\n`);
  const command = commandId ? `ringkv ${commandId.replaceAll(':', ' ')}` : 'ringkv';
  const message = err.message === '' ? err.name : err.message;
  return new RingkvError(
    'SERVER_ERROR',
    `internal error in ${command}: ${message} (a bug: RINGKV_DEBUG=1 shows where; please report it)`,
  );
}

/**
 * Flags the command does not have, each with the flag it most likely meant (`--keyspce`:
 * `--keyspace`; `-k`: the one flag starting with k), as unknown commands get theirs.
 */
export function unknownFlags(
  typed: readonly string[],
  known: readonly (readonly [string, { char?: string; allowNo?: boolean }])[],
  commandId: string | undefined,
): RingkvError {
  const names = known.flatMap(([name, flag]) => (flag.allowNo ? [name, `no-${name}`] : [name]));
  const meant = (word: string): string | undefined => {
    const bare = word.replace(/=.*$/s, '');
    const char = /^-([^-])$/.exec(bare)?.[1];
    if (char !== undefined) {
      const byChar = known.find(([, flag]) => flag.char === char);
      if (byChar) return byChar[0];
      const starting = names.filter((n) => n.startsWith(char));
      return starting.length === 1 ? starting[0] : undefined;
    }
    return closest(
      bare.replace(/^-+/, ''),
      names.map((n) => [n, [n]] as const),
    );
  };
  const described = typed.map((word) => {
    const suggestion = meant(word);
    return suggestion === undefined ? word : `${word} (did you mean --${suggestion}?)`;
  });
  const command = commandId ? `ringkv ${commandId.replaceAll(':', ' ')}` : 'ringkv';
  return usage(
    `unknown flag${typed.length === 1 ? '' : 's'} ${described.join(', ')}: ${command} --help lists its flags`,
  );
}

const USAGE_ERRORS = new Set([
  'FailedFlagValidationError',
  'RequiredArgsError',
  'UnexpectedArgsError',
  'NonExistentFlagsError',
  'FlagInvalidOptionError',
  'ArgInvalidOptionError',
  'CLIParseError',
]);

/** oclif's parse errors as usage errors; a flag the command does not have names the one it likely meant. */
function toRingkvError(
  err: Error & { oclif?: { exit?: number }; flags?: unknown },
  flags: Record<string, { char?: string; allowNo?: boolean }>,
  commandId: string | undefined,
): RingkvError | undefined {
  if (err.constructor.name === 'NonExistentFlagsError' && Array.isArray(err.flags)) {
    return unknownFlags(err.flags as string[], Object.entries(flags), commandId);
  }
  // A flag's own parser throws a usage error, and oclif writes "Parsing --flag" lines around it.
  if (isRingkvError(err) && err.code === 'USAGE' && err.message.includes('\n')) {
    return new RingkvError('USAGE', `${usageLine(err.message)} (see --help)`, err.details);
  }
  if (isRingkvError(err)) return err;
  if (USAGE_ERRORS.has(err.constructor.name) || err.oclif?.exit === 2) {
    return new RingkvError('USAGE', `${usageLine(err.message)} (see --help)`);
  }
  return undefined;
}

/**
 * oclif's parse errors in one line. Some put the reason on the next line ("Parsing --rate", then
 * "Expected an integer greater than or equal to 1 but received: 0"); a missing argument lists the
 * arguments one per line with their descriptions, then notes on flag order that do not apply.
 */
export function usageLine(message: string): string {
  const lines = message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const end = lines.findIndex((l) => /^(See more help|Note:|Alternatively)/.test(l));
  const [head, ...rest] = end >= 0 ? lines.slice(0, end) : lines;
  if (head === undefined) return message.trim();
  if (rest.length === 0) return head;
  // Flag validation ("--pr=true cannot also be provided when using --all-ranges") under a heading.
  if (/^The following errors? occurred:$/.test(head)) return rest.join('; ');
  // "Missing 2 required args:" then "key  the key", "value  the value": the names say enough.
  if (head.endsWith(':')) return `${head} ${rest.map((l) => l.split(/\s+/)[0]).join(', ')}`;
  return `${head}: ${rest.join('; ')}`;
}

export function usage(message: string): RingkvError {
  return new RingkvError('USAGE', message);
}

/** Flags of every command that talks to a cluster (CLI.md, global flags). */
export const clusterFlags = {
  node: Flags.string({
    description: 'contact point ws://HOST:PORT (repeatable or comma-separated)',
    env: 'RINGKV_NODE',
    multiple: true,
    // The default port of `ringkv start`, so a local node needs no flag.
    default: ['ws://127.0.0.1:7400'],
    helpGroup: 'CLUSTER',
  }),
  timeout: Flags.integer({
    description: 'request timeout in ms',
    // Cassandra's write timeout is 2 s too: long enough for a synced write under load.
    default: DEFAULT_REQUEST_TIMEOUT_MS,
    min: 1,
    max: MAX_REQUEST_TIMEOUT_MS,
    helpGroup: 'CLUSTER',
  }),
  secret: Flags.string({ description: 'cluster secret', env: 'RINGKV_SECRET', helpGroup: 'CLUSTER' }),
  'cluster-name': Flags.string({
    description: 'the cluster to expect; a node of another cluster refuses the connection',
    default: 'ringkv',
    helpGroup: 'CLUSTER',
  }),
  route: Flags.string({
    description: 'how the client picks the coordinator',
    options: [...ROUTE_POLICIES],
    // A replica of the key saves a hop.
    default: 'token',
    helpGroup: 'CLUSTER',
  }),
  'local-dc': Flags.string({
    description:
      "the client's data center, for dc/default routing and LOCAL_* CLs (default: the contact node's)",
    helpGroup: 'CLUSTER',
  }),
  coordination: Flags.string({
    description: 'a node coordinates, or the client sends to every replica itself',
    options: [...COORDINATIONS],
    default: 'node',
    helpGroup: 'CLUSTER',
  }),
  'speculative-retry': Flags.string({
    description: 'reads ask another replica after this long: 99p, Nms or never',
    // Cassandra's default: a replica slower than its own 99th percentile is probably stuck.
    default: '99p',
    helpGroup: 'CLUSTER',
  }),
};
