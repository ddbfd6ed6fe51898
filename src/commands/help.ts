import { Args, loadHelpClass } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { commandHelp, commandList, type CommandHelp, type CommandList } from '../cli/command-docs.js';
import { fromArgvOnly } from '../cli/data-flags.js';
import { notFound } from '../hooks/command-not-found.js';

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
