import type { Hook } from '@oclif/core';
import { reportFailure, usage } from '../cli/base-command.js';
import type { RingkvError } from '../protocol/errors.js';
import { closest } from '../protocol/closest.js';

/**
 * A command oclif does not know gets the CLI's one-line usage error and exit 2, like any other,
 * instead of oclif's own format. A word after a command that takes no more arguments lands here
 * too (`hints truncate HOST`): oclif reads it as a subcommand.
 */
const hook: Hook.CommandNotFound = function (opts) {
  reportFailure(notFound(opts.id.split(':'), opts.config.commandIDs), opts.argv?.includes('--json') ?? false);
  return Promise.resolve(undefined);
};

export function notFound(words: readonly string[], ids: readonly string[]): RingkvError {
  const isCommand = (n: number) => ids.includes(words.slice(0, n).join(':'));
  const isTopic = (n: number) => ids.some((id) => id.startsWith(`${words.slice(0, n).join(':')}:`));
  const unexpected = (n: number) => {
    const spaced = words.slice(0, n).join(' ');
    return usage(`unexpected argument "${words[n]}" for "ringkv ${spaced}" (see ringkv ${spaced} --help)`);
  };
  // What was typed as the command: the longest run of topics, and the word after them.
  let typedLength = 1;
  while (typedLength < words.length && isTopic(typedLength)) typedLength++;
  if (isCommand(typedLength) && typedLength < words.length) return unexpected(typedLength);
  const typed = words.slice(0, typedLength).join(' ');
  const spelled = ids.map((id) => id.replaceAll(':', ' '));
  const suggestion = closest(
    typed,
    spelled.map((s) => [s, [s]] as const),
  );
  if (suggestion) return usage(`unknown command "${typed}": did you mean "ringkv ${suggestion}"?`);
  // A topic that is a command too (`hints`), with a word it does not take.
  for (let n = typedLength - 1; n >= 1; n--) if (isCommand(n)) return unexpected(n);
  return usage(`unknown command "${typed}": "ringkv --help" lists the commands`);
}

export default hook;
