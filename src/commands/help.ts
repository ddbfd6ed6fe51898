import { Args, loadHelpClass, type Command, type Config } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { fromArgvOnly } from '../cli/data-flags.js';
import { notFound } from '../hooks/command-not-found.js';

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

function commandHelp(command: Command.Loadable, config: Config): CommandHelp {
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

function commandList(config: Config, topic: string | undefined): CommandList {
  const prefix = topic === undefined ? '' : `${topic}:`;
  const commands = [...config.commands]
    .filter((c) => !c.hidden && c.id.startsWith(prefix))
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((c) => ({ command: words(c.id), summary: c.summary ?? null }));
  return { topic: topic === undefined ? null : words(topic), commands };
}

/**
 * `ringkv help [COMMAND]`, as oclif CLIs have it (CLI.md): the help `--help` prints, rendered by
 * the same Help class from the manifest, so that neither a plugin nor every command's module is
 * loaded. Words that name no command or topic get the usage error an unknown command gets. With
 * --json, the same from the manifest as one document: a command's arguments and flags, or the
 * commands of a topic or of the root.
 */
export default class Help extends BaseCommand {
  static override summary = 'Show help for ringkv, or for one of its commands or topics';
  static override examples = [
    '<%= config.bin %> help',
    '<%= config.bin %> help put',
    '<%= config.bin %> help keyspace create --json',
  ];
  static override flags = {};

  static override args = {
    command: Args.string({
      description: 'a command or topic, in words as it is typed (keyspace create)',
      ...fromArgvOnly,
    }),
  };
  // A command's words: `keyspace create` is one command.
  static override strict = false;

  async run(): Promise<CommandHelp | CommandList | undefined> {
    const { argv } = await this.parse(Help);
    const asked = argv as string[];
    const id = asked.join(':');
    const command = this.config.findCommand(id);
    if (!command && asked.length > 0 && !this.config.findTopic(id)) {
      throw notFound(asked, this.config.commandIDs);
    }
    if (this.jsonEnabled()) {
      return command
        ? commandHelp(command, this.config)
        : commandList(this.config, asked.length > 0 ? id : undefined);
    }
    const HelpClass = await loadHelpClass(this.config);
    const help = new HelpClass(this.config, this.config.pjson.oclif.helpOptions);
    // By the command itself: showHelp skips the word "help", and `help help` would be the root's.
    if (command) await help.showCommandHelp(command, this.config.topics);
    // The root, or a topic that is no command (keyspace).
    else await help.showHelp(asked);
    return undefined;
  }
}
