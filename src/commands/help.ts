import { Args, loadHelpClass } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { fromArgvOnly } from '../cli/data-flags.js';
import { notFound } from '../hooks/command-not-found.js';

/**
 * `ringkv help [COMMAND]`, as oclif CLIs have it (CLI.md): the help `--help` prints, rendered by
 * the same Help class from the manifest, so that neither a plugin nor every command's module is
 * loaded. Words that name no command or topic get the usage error an unknown command gets.
 */
export default class Help extends BaseCommand {
  static override summary = 'Show help for ringkv, or for one of its commands or topics';
  static override examples = [
    '<%= config.bin %> help',
    '<%= config.bin %> help put',
    '<%= config.bin %> help keyspace create',
  ];
  // Help is text for people: there is no document to print.
  static override enableJsonFlag = false;
  static override flags = {};

  static override args = {
    command: Args.string({
      description: 'a command or topic, in words as it is typed (keyspace create)',
      ...fromArgvOnly,
    }),
  };
  // A command's words: `keyspace create` is one command.
  static override strict = false;

  async run(): Promise<void> {
    const { argv } = await this.parse(Help);
    const words = argv as string[];
    const HelpClass = await loadHelpClass(this.config);
    const help = new HelpClass(this.config, this.config.pjson.oclif.helpOptions);
    const command = this.config.findCommand(words.join(':'));
    // By the command itself: showHelp skips the word "help", and `help help` would be the root's.
    if (command) return help.showCommandHelp(command, this.config.topics);
    if (words.length > 0 && !this.config.findTopic(words.join(':')))
      throw notFound(words, this.config.commandIDs);
    // The root, or a topic that is no command (keyspace).
    await help.showHelp(words);
  }
}
