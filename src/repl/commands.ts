import type {
  AlteredKeyspace,
  ClusterApi,
  EndpointsResult,
  GetResult,
  HintSummary,
  UnansweredNode,
  KeyspaceInfo,
  PutResult,
  RepairProgress,
  RepairSummary,
  NodeCleanupEntry,
  NodeStatsEntry,
  RingEntry,
  StatusResult,
} from '../client/api.js';
import {
  parseConsistency,
  parseReplicationWord,
  type ConsistencyLevel,
  type Replication,
} from '../protocol/consistency.js';
import { RingkvError, asRingkvError } from '../protocol/errors.js';
import { keyspaceNameProblem } from '../protocol/limits.js';
import { closest } from '../protocol/closest.js';
import { alterationCleanupNote, alterationRepairNote, emptyDataCentersNote } from './format.js';
import { cutWord } from './long-line.js';

/**
 * The one registry of REPL commands: what each accepts (for the parser and completion), how it
 * is explained (help), and what it does against a ClusterApi. The Ink UI and scripted mode both
 * run commands through here, so a command behaves the same typed or piped.
 */

/** What a REPL session remembers between commands, as cqlsh does with CONSISTENCY and USE. */
export interface Session {
  cl: ConsistencyLevel;
  keyspace: string;
  tracing: boolean;
}

export type Command =
  | { name: 'put'; key: string; value: string; cl: ConsistencyLevel | undefined }
  | { name: 'get'; key: string; cl: ConsistencyLevel | undefined }
  | { name: 'del'; key: string; cl: ConsistencyLevel | undefined }
  | { name: 'consistency'; cl: ConsistencyLevel | undefined }
  | { name: 'tracing'; on: boolean | undefined }
  | { name: 'use'; keyspace: string }
  | { name: 'keyspaces' }
  | { name: 'create'; keyspace: string; replication: Replication }
  | { name: 'alter'; keyspace: string; replication: Replication }
  | { name: 'status' }
  | { name: 'ring'; key: string | undefined }
  | { name: 'endpoints'; key: string }
  | { name: 'hints' }
  | { name: 'stats' }
  | { name: 'cleanup'; keyspace: string | undefined }
  | { name: 'repair'; keyspace: string | undefined; primaryRangeOnly: boolean; full: boolean }
  | { name: 'help'; command: CommandName | undefined }
  | { name: 'clear' }
  | { name: 'exit' };

export type CommandName = Command['name'];
type CommandOf<N extends CommandName> = Extract<Command, { name: N }>;

/** What a word in a command's place stands for: the parser checks it, completion offers values for it. */
export type SlotKind =
  | 'key'
  | 'value'
  | 'cl'
  | 'keyspace'
  /** A name the user makes up, such as a new keyspace's. */
  | 'name'
  | 'replication'
  | 'command'
  | 'switch';

export interface Slot {
  /** As shown in usage, e.g. KEY. */
  name: string;
  kind: SlotKind;
  optional: boolean;
}

export interface FlagSpec {
  name: string;
  help: string;
}

export interface Syntax {
  slots: Slot[];
  /** The command takes a consistency level, as a trailing word or with --cl. */
  cl: boolean;
  /** Boolean flags, without the leading dashes. */
  flags: FlagSpec[];
}

/** Positional words (quotes removed) and flags, already checked against the syntax's arity. */
export interface ParsedArgs {
  positionals: string[];
  cl: ConsistencyLevel | undefined;
  flags: ReadonlySet<string>;
}

export interface ExecuteContext {
  api: ClusterApi;
  session: Session;
  signal: AbortSignal;
  onProgress?: (p: RepairProgress) => void;
  /** Wall clock in ms, for ages such as the oldest hint's. */
  nowMs: () => number;
}

export interface HelpTopic {
  name: CommandName;
  usage: string;
  summary: string;
  help: string;
}

export type ReplResult =
  | { kind: 'write'; op: 'put' | 'del'; result: PutResult }
  | { kind: 'get'; result: GetResult }
  | { kind: 'consistency'; cl: ConsistencyLevel; changed: boolean }
  | { kind: 'tracing'; on: boolean; changed: boolean }
  | { kind: 'use'; keyspace: KeyspaceInfo }
  | { kind: 'keyspaces'; keyspaces: KeyspaceInfo[]; current: string }
  | { kind: 'create'; keyspace: KeyspaceInfo; notes: string[] }
  | { kind: 'alter'; altered: AlteredKeyspace; notes: string[] }
  | { kind: 'status'; status: StatusResult }
  | { kind: 'ring'; ring: RingEntry[]; status: StatusResult; endpoints: EndpointsResult | undefined }
  | { kind: 'endpoints'; endpoints: EndpointsResult }
  | { kind: 'hints'; hints: HintSummary[]; unanswered: UnansweredNode[]; asOfMs: number }
  | { kind: 'stats'; nodes: NodeStatsEntry[] }
  | { kind: 'cleanup'; keyspace: string; nodes: NodeCleanupEntry[] }
  | { kind: 'repair'; summary: RepairSummary }
  | { kind: 'help'; topics: HelpTopic[]; detailed: boolean; notes: readonly string[] }
  | { kind: 'clear' }
  | { kind: 'exit' };

export type Outcome =
  { kind: 'ok'; result: ReplResult } | { kind: 'error'; error: RingkvError } | { kind: 'cancelled' };

export interface CommandDef<N extends CommandName> {
  name: N;
  aliases: readonly string[];
  summary: string;
  help: string;
  syntax: Syntax;
  /** Builds the typed command from checked arguments; throws a USAGE RingkvError on a bad word. */
  build(args: ParsedArgs): CommandOf<N>;
  execute(cmd: CommandOf<N>, ctx: ExecuteContext): Promise<ReplResult>;
}

const key = (optional = false): Slot => ({ name: 'KEY', kind: 'key', optional });

/**
 * What the list of commands ends with, since no command's help says it: how a line splits into
 * statements, and where up/down history is kept (history-file.ts; a test keeps the two in step).
 */
export const HELP_NOTES: readonly string[] = [
  "A ; outside quotes separates statements, as in cqlsh: put a 1; get a. Quote a value to keep a ; in it: put k 'a;b'.",
  'Up and down recall earlier lines, saved in ~/.ringkv_history (or the file RINGKV_HISTORY names), except lines over 16 KiB.',
];

function requestOptions(cl: ConsistencyLevel | undefined, session: Session) {
  return { keyspace: session.keyspace, cl: cl ?? session.cl, trace: session.tracing };
}

function parseSwitch(word: string): boolean {
  const lower = word.toLowerCase();
  if (lower === 'on') return true;
  if (lower === 'off') return false;
  throw new RingkvError('USAGE', `tracing takes on or off, not "${cutWord(word)}"`);
}

/** A keyspace to create (a new name) or alter (one that exists), and its replication. */
function replicationSlots(keyspace: 'name' | 'keyspace'): Slot[] {
  return [
    { name: 'KEYSPACE', kind: keyspace, optional: false },
    { name: 'REPLICATION', kind: 'replication', optional: false },
  ];
}

function keyspaceAndReplication(a: ParsedArgs): { keyspace: string; replication: Replication } {
  const keyspace = a.positionals[0] ?? '';
  const problem = keyspaceNameProblem(keyspace);
  if (problem) throw new RingkvError('USAGE', problem);
  return { keyspace, replication: parseReplicationWord(a.positionals[1] ?? '') };
}

/** A replication naming a data center with no node yet leaves the keyspace no replicas there. */
async function emptyDataCenters(api: ClusterApi, keyspace: KeyspaceInfo): Promise<string[]> {
  if (keyspace.replication.strategy !== 'network') return [];
  const { nodes } = await api.status(keyspace.name);
  const note = emptyDataCentersNote(keyspace.name, keyspace.replication, nodes);
  return note ? [note] : [];
}

/**
 * The keyspace named, or NOT_FOUND with the ones that exist, which the REPL suggests in its own
 * terms (help create). Asked before a command acts on a keyspace: the nodes refuse a missing one
 * in the shell's terms (ringkv keyspace create), and cleanup as nodes that did not run.
 */
async function existingKeyspace(api: ClusterApi, name: string): Promise<KeyspaceInfo> {
  const all = await api.keyspaces();
  const found = all.find((k) => k.name === name);
  if (found) return found;
  throw new RingkvError('NOT_FOUND', `no keyspace "${cutWord(name)}"`, {
    keyspace: name,
    known: all.map((k) => k.name),
  });
}

function commandNamed(word: string): CommandName {
  const name = resolveCommandName(word);
  if (name) return name;
  throw unknownCommand(word);
}

export const COMMANDS: { readonly [N in CommandName]: CommandDef<N> } = {
  put: {
    name: 'put',
    aliases: ['set'],
    summary: 'write a value',
    help: 'Writes VALUE under KEY in the session keyspace. The CL is a trailing word or --cl; without it the session CL applies. Quote keys and values with spaces or a ;, which otherwise ends the statement: put "my key" \'a value; more\'.',
    syntax: { slots: [key(), { name: 'VALUE', kind: 'value', optional: false }], cl: true, flags: [] },
    build: (a) => ({ name: 'put', key: a.positionals[0] ?? '', value: a.positionals[1] ?? '', cl: a.cl }),
    execute: async (cmd, ctx) => ({
      kind: 'write',
      op: 'put',
      result: await ctx.api.put(cmd.key, cmd.value, requestOptions(cmd.cl, ctx.session)),
    }),
  },
  get: {
    name: 'get',
    aliases: [],
    summary: 'read a value',
    help: 'Reads KEY from the session keyspace and shows its value, timestamp and the replicas that answered.',
    syntax: { slots: [key()], cl: true, flags: [] },
    build: (a) => ({ name: 'get', key: a.positionals[0] ?? '', cl: a.cl }),
    execute: async (cmd, ctx) => ({
      kind: 'get',
      result: await ctx.api.get(cmd.key, requestOptions(cmd.cl, ctx.session)),
    }),
  },
  del: {
    name: 'del',
    aliases: ['delete'],
    summary: 'delete a key (writes a tombstone)',
    help: 'Deletes KEY by writing a tombstone, which wins over older values on every replica.',
    syntax: { slots: [key()], cl: true, flags: [] },
    build: (a) => ({ name: 'del', key: a.positionals[0] ?? '', cl: a.cl }),
    execute: async (cmd, ctx) => ({
      kind: 'write',
      op: 'del',
      result: await ctx.api.del(cmd.key, requestOptions(cmd.cl, ctx.session)),
    }),
  },
  consistency: {
    name: 'consistency',
    aliases: [],
    summary: "show or set the session's consistency level",
    help: 'Without an argument shows the session CL; with one, later put/get/del use it unless they name their own. CL names are case-insensitive.',
    syntax: { slots: [{ name: 'CL', kind: 'cl', optional: true }], cl: false, flags: [] },
    build: (a) => {
      const word = a.positionals[0];
      return { name: 'consistency', cl: word === undefined ? undefined : parseConsistency(cutWord(word)) };
    },
    execute: (cmd, ctx) =>
      Promise.resolve({
        kind: 'consistency',
        cl: cmd.cl ?? ctx.session.cl,
        changed: cmd.cl !== undefined,
      }),
  },
  tracing: {
    name: 'tracing',
    // The CLI's flag is --trace: a user of both types either.
    aliases: ['trace'],
    summary: 'turn request tracing on or off',
    help: 'With tracing on, put/get/del show a waterfall of what the coordinator did: replicas contacted, each ack with its latency, hints stored, read repair.',
    syntax: { slots: [{ name: 'on|off', kind: 'switch', optional: true }], cl: false, flags: [] },
    build: (a) => {
      const word = a.positionals[0];
      return { name: 'tracing', on: word === undefined ? undefined : parseSwitch(word) };
    },
    execute: (cmd, ctx) =>
      Promise.resolve({ kind: 'tracing', on: cmd.on ?? ctx.session.tracing, changed: cmd.on !== undefined }),
  },
  use: {
    name: 'use',
    aliases: [],
    summary: 'switch the session keyspace',
    help: 'Later commands read and write KEYSPACE. It must exist: see keyspaces.',
    syntax: { slots: [{ name: 'KEYSPACE', kind: 'keyspace', optional: false }], cl: false, flags: [] },
    build: (a) => ({ name: 'use', keyspace: a.positionals[0] ?? '' }),
    execute: async (cmd, ctx) => ({ kind: 'use', keyspace: await existingKeyspace(ctx.api, cmd.keyspace) }),
  },
  keyspaces: {
    name: 'keyspaces',
    aliases: [],
    summary: 'list keyspaces and their replication',
    help: 'Lists every keyspace with its replication strategy and factor.',
    syntax: { slots: [], cl: false, flags: [] },
    build: () => ({ name: 'keyspaces' }),
    execute: async (_cmd, ctx) => ({
      kind: 'keyspaces',
      keyspaces: await ctx.api.keyspaces(),
      current: ctx.session.keyspace,
    }),
  },
  create: {
    name: 'create',
    aliases: [],
    summary: 'create a keyspace with its replication',
    help: 'Creates KEYSPACE with REPLICATION: a number is that many replicas in all (simple strategy, create users 2), and DC:N,DC:N that many in each data center (network strategy, create orders dc1:2,dc2:1). Then use KEYSPACE to read and write it.',
    syntax: { slots: replicationSlots('name'), cl: false, flags: [] },
    build: (a) => ({ name: 'create', ...keyspaceAndReplication(a) }),
    execute: async (cmd, ctx) => {
      const keyspace = await ctx.api.createKeyspace(cmd.keyspace, cmd.replication);
      return { kind: 'create', keyspace, notes: await emptyDataCenters(ctx.api, keyspace) };
    },
  },
  alter: {
    name: 'alter',
    aliases: [],
    summary: "change a keyspace's replication",
    help: 'Gives KEYSPACE a new REPLICATION (a number, or DC:N,DC:N), as ALTER KEYSPACE in Cassandra: writes from now on go to the new replicas, and what was written before reaches the replicas a key gained only through repair KEYSPACE; until then a read that asks only new replicas misses the key. Nodes that stop being replicas keep their copies until cleanup KEYSPACE.',
    syntax: { slots: replicationSlots('keyspace'), cl: false, flags: [] },
    build: (a) => ({ name: 'alter', ...keyspaceAndReplication(a) }),
    execute: async (cmd, ctx) => {
      await existingKeyspace(ctx.api, cmd.keyspace);
      const altered = await ctx.api.alterKeyspace(cmd.keyspace, cmd.replication);
      const follow = [
        alterationRepairNote(altered, `repair ${altered.name}`),
        alterationCleanupNote(altered, `cleanup ${altered.name}`),
      ].filter((n) => n !== undefined);
      return { kind: 'alter', altered, notes: [...(await emptyDataCenters(ctx.api, altered)), ...follow] };
    },
  },
  status: {
    name: 'status',
    aliases: [],
    summary: 'nodes, their state and ownership',
    help: 'Shows every node: UP or DOWN, its ring status, tokens, load and effective ownership of the session keyspace.',
    syntax: { slots: [], cl: false, flags: [] },
    build: () => ({ name: 'status' }),
    execute: async (_cmd, ctx) => ({ kind: 'status', status: await ctx.api.status(ctx.session.keyspace) }),
  },
  ring: {
    name: 'ring',
    aliases: [],
    summary: 'draw the token ring',
    help: "Draws every node's vnodes along the token range, one colour per node, with each node's ownership. With KEY, marks the key's token and its replicas, and which of them are down.",
    syntax: { slots: [key(true)], cl: false, flags: [] },
    build: (a) => ({ name: 'ring', key: a.positionals[0] }),
    execute: async (cmd, ctx) => {
      const [ring, status, endpoints] = await Promise.all([
        ctx.api.ring(),
        ctx.api.status(ctx.session.keyspace),
        cmd.key === undefined ? undefined : ctx.api.endpoints(cmd.key, ctx.session.keyspace),
      ]);
      return { kind: 'ring', ring, status, endpoints };
    },
  },
  endpoints: {
    name: 'endpoints',
    aliases: ['replicas'],
    summary: 'the replicas of a key',
    help: "Shows KEY's token and the replicas that hold it in the session keyspace, in ring order.",
    syntax: { slots: [key()], cl: false, flags: [] },
    build: (a) => ({ name: 'endpoints', key: a.positionals[0] ?? '' }),
    execute: async (cmd, ctx) => ({
      kind: 'endpoints',
      endpoints: await ctx.api.endpoints(cmd.key, ctx.session.keyspace),
    }),
  },
  hints: {
    name: 'hints',
    aliases: [],
    summary: 'hints waiting for their replica',
    help: 'Lists the hints every node holds, per target: count, bytes, age of the oldest, and whether the target has been down past the hint window (then only repair heals it).',
    syntax: { slots: [], cl: false, flags: [] },
    build: () => ({ name: 'hints' }),
    execute: async (_cmd, ctx) => ({ kind: 'hints', ...(await ctx.api.hints()), asOfMs: ctx.nowMs() }),
  },
  stats: {
    name: 'stats',
    aliases: [],
    summary: "every node's counters since it started",
    help: 'One row per node: the writes and reads it coordinated since it started, with the latency percentiles of the last minute or two, failed requests and read repairs; the cells it took and served as a replica; hints stored there and delivered; and writes per synced batch (group commit). ringkv stats --node ADDRESS shows one node in full, with failures by error code.',
    syntax: { slots: [], cl: false, flags: [] },
    build: () => ({ name: 'stats' }),
    execute: async (_cmd, ctx) => ({ kind: 'stats', nodes: await ctx.api.statsOfEveryNode() }),
  },
  cleanup: {
    name: 'cleanup',
    aliases: [],
    summary: 'every node drops the data it no longer replicates',
    help: "As nodetool cleanup on each node in turn: after a node joined, or a keyspace's replication factor went down (alter), the nodes that handed ranges over keep their copies, which take disk and are never read. Drops them from KEYSPACE (the session keyspace without one) on every node, one after the other; a node that is joining or leaving refuses, and one that is down is named. Data a node is about to take over is kept.",
    syntax: { slots: [{ name: 'KEYSPACE', kind: 'keyspace', optional: true }], cl: false, flags: [] },
    build: (a) => ({ name: 'cleanup', keyspace: a.positionals[0] }),
    execute: async (cmd, ctx) => {
      const keyspace = cmd.keyspace ?? ctx.session.keyspace;
      await existingKeyspace(ctx.api, keyspace);
      return { kind: 'cleanup', keyspace, nodes: await ctx.api.cleanupEveryNode(keyspace) };
    },
  },
  repair: {
    name: 'repair',
    aliases: [],
    summary: 'anti-entropy repair of a keyspace',
    help: 'Compares Merkle trees of every token range of KEYSPACE (the session keyspace without one) across its replicas and streams only what differs, the contact node coordinating each range in turn. --pr repairs only the ranges the contact node is primary for, as nodetool repair -pr. Every repair compares every range in full: --full is accepted for Cassandra habits and changes nothing. A range whose replicas cannot all be reached fails; the others are still repaired. Ctrl-C cancels.',
    syntax: {
      slots: [{ name: 'KEYSPACE', kind: 'keyspace', optional: true }],
      cl: false,
      flags: [
        { name: 'pr', help: 'only the primary ranges of the contact node' },
        { name: 'full', help: 'accepted for Cassandra habits: every repair already compares every range' },
      ],
    },
    build: (a) => ({
      name: 'repair',
      keyspace: a.positionals[0],
      primaryRangeOnly: a.flags.has('pr'),
      full: a.flags.has('full'),
    }),
    execute: async (cmd, ctx) => {
      const keyspace = cmd.keyspace ?? ctx.session.keyspace;
      await existingKeyspace(ctx.api, keyspace);
      const summary = await ctx.api.repair(
        {
          keyspace,
          primaryRangeOnly: cmd.primaryRangeOnly,
          allRanges: !cmd.primaryRangeOnly,
          full: cmd.full,
          preview: false,
        },
        ctx.onProgress,
        ctx.signal,
      );
      return { kind: 'repair', summary };
    },
  },
  help: {
    name: 'help',
    aliases: ['?'],
    summary: 'list commands, or explain one',
    help: 'help lists every command; help COMMAND explains one.',
    syntax: { slots: [{ name: 'COMMAND', kind: 'command', optional: true }], cl: false, flags: [] },
    build: (a) => {
      const word = a.positionals[0];
      return { name: 'help', command: word === undefined ? undefined : commandNamed(word) };
    },
    execute: (cmd) =>
      Promise.resolve({
        kind: 'help',
        topics: (cmd.command === undefined ? COMMAND_NAMES : [cmd.command]).map(topicOf),
        detailed: cmd.command !== undefined,
        notes: cmd.command === undefined ? HELP_NOTES : [],
      }),
  },
  clear: {
    name: 'clear',
    aliases: ['cls'],
    summary: 'clear the screen (also Ctrl-L)',
    help: 'Clears the terminal, scrollback included, and leaves the prompt at the top. In a script it does nothing.',
    syntax: { slots: [], cl: false, flags: [] },
    build: () => ({ name: 'clear' }),
    execute: () => Promise.resolve({ kind: 'clear' }),
  },
  exit: {
    name: 'exit',
    aliases: ['quit'],
    summary: 'leave the REPL (also Ctrl-D)',
    help: 'Leaves the REPL. Ctrl-D on an empty line, or Ctrl-C twice on an empty line, does the same.',
    syntax: { slots: [], cl: false, flags: [] },
    build: () => ({ name: 'exit' }),
    execute: () => Promise.resolve({ kind: 'exit' }),
  },
};

export const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[];

export function commandDef<N extends CommandName>(name: N): CommandDef<N> {
  return COMMANDS[name];
}

/** Command names are case-insensitive, and a few have aliases (quit, delete, set, trace). */
export function resolveCommandName(word: string): CommandName | undefined {
  const lower = word.toLowerCase();
  return COMMAND_NAMES.find((n) => n === lower || COMMANDS[n].aliases.includes(lower));
}

export function usageOf(name: CommandName): string {
  const { syntax } = COMMANDS[name];
  const parts: string[] = [name];
  for (const f of syntax.flags) parts.push(`[--${f.name}]`);
  for (const s of syntax.slots) parts.push(s.optional ? `[${s.name}]` : s.name);
  if (syntax.cl) parts.push('[CL]');
  return parts.join(' ');
}

function topicOf(name: CommandName): HelpTopic {
  const def = COMMANDS[name];
  return { name, usage: usageOf(name), summary: def.summary, help: def.help };
}

/** The command a mistyped word most likely meant, if any is close enough to be a typo. */
export function suggestCommand(word: string): CommandName | undefined {
  return closest(
    word,
    COMMAND_NAMES.map((name) => [name, [name, ...COMMANDS[name].aliases]] as const),
  );
}

export function unknownCommand(word: string): RingkvError {
  const shown = cutWord(word);
  const suggestion = suggestCommand(shown);
  const hint = suggestion ? `did you mean "${suggestion}"?` : 'type help to list the commands';
  return new RingkvError('USAGE', `unknown command "${shown}": ${hint}`, suggestion ? { suggestion } : {});
}

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

/**
 * Settles with the request, or rejects as soon as the signal aborts. The request itself may
 * still complete on the cluster (a write may be applied): only the waiting is cancelled.
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new CancelledError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new CancelledError());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

export async function runCommand(cmd: Command, ctx: ExecuteContext): Promise<Outcome> {
  // The registry is keyed by name, so this entry's execute takes exactly this command.
  const def: CommandDef<CommandName> = commandDef<CommandName>(cmd.name);
  try {
    const result = await untilAborted(def.execute(cmd, ctx), ctx.signal);
    return { kind: 'ok', result };
  } catch (e) {
    if (ctx.signal.aborted) return { kind: 'cancelled' };
    return { kind: 'error', error: asRingkvError(e) };
  }
}
