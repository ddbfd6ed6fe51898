import type { Command, Config } from '@oclif/core';

/*
 * The commands as documents, read from oclif's manifest: what `help --json` prints and what the
 * README's command reference is written from, so that neither can drift from --help.
 */

/** A command's help as a document: what a script needs to build a command line. */
export interface CommandHelp {
  command: string;
  summary: string | null;
  description: string | null;
  args: { name: string; description: string | null; required: boolean }[];
  flags: {
    name: string;
    char: string | null;
    description: string | null;
    /** boolean: present or not; option: takes a value. */
    type: 'boolean' | 'option';
    options: string[] | null;
    default: unknown;
    required: boolean;
    multiple: boolean;
    env: string | null;
  }[];
  examples: string[];
}

export interface CommandList {
  /** The topic asked for (keyspace), or null for the root. */
  topic: string | null;
  commands: { command: string; summary: string | null }[];
}

const words = (id: string) => id.replaceAll(':', ' ');

export function commandHelp(command: Command.Loadable, config: Config): CommandHelp {
  const bin = config.bin;
  const examples = (command.examples ?? []).map((e) =>
    (typeof e === 'string' ? e : e.command).replaceAll('<%= config.bin %>', bin),
  );
  return {
    command: words(command.id),
    summary: command.summary ?? null,
    description: command.description ?? null,
    args: Object.values(command.args ?? {}).map((a) => ({
      name: a.name,
      description: a.description ?? null,
      required: a.required ?? false,
    })),
    flags: Object.entries(command.flags ?? {})
      .filter(([, f]) => !f.hidden)
      .map(([name, f]) => ({
        name,
        char: f.char ?? null,
        description: f.summary ?? f.description ?? null,
        type: f.type,
        options: f.type === 'option' && f.options ? [...f.options] : null,
        default: f.default ?? null,
        required: f.required ?? false,
        multiple: f.type === 'option' ? (f.multiple ?? false) : false,
        env: f.env ?? null,
      })),
    examples,
  };
}

/** The commands a user may run, in order; with a topic (`keyspace`), only its own. */
export function visibleCommands(config: Config, topic?: string): Command.Loadable[] {
  const prefix = topic === undefined ? '' : `${topic}:`;
  return [...config.commands]
    .filter((c) => !c.hidden && c.id.startsWith(prefix))
    .sort((a, b) => a.id.localeCompare(b.id));
}

export function commandList(config: Config, topic: string | undefined): CommandList {
  const commands = visibleCommands(config, topic).map((c) => ({
    command: words(c.id),
    summary: c.summary ?? null,
  }));
  return { topic: topic === undefined ? null : words(topic), commands };
}
