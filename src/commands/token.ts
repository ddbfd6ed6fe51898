import { Args, Flags } from '@oclif/core';
import { argumentTextProblem, EMPTY_KEY, fromArgvOnly } from '../cli/data-flags.js';
import { BaseCommand, usage } from '../cli/base-command.js';
import { formatToken, tokenOf, tokenOfString } from '../ring/partitioner.js';

export interface KeyToken {
  key: string;
  token: string;
}

const HEX_BYTES = /^(?:[0-9a-fA-F]{2})*$/;

function hexBytes(key: string): Uint8Array {
  if (!HEX_BYTES.test(key)) throw usage(`"${key}" is not hex bytes: use pairs of hex digits, like 0a1b`);
  return Uint8Array.from(key.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

/** The tokens of keys, as Cassandra's Murmur3Partitioner computes them. */
export function keyTokens(keys: readonly string[], hex: boolean): KeyToken[] {
  return keys.map((key) => {
    // put refuses an empty or mangled key, so no data has its token: refuse it here too.
    if (hex) {
      const bytes = hexBytes(key);
      if (bytes.length === 0) throw usage(EMPTY_KEY);
      return { key, token: formatToken(tokenOf(bytes)) };
    }
    const problem = argumentTextProblem(key, 'key');
    if (problem) throw usage(`${problem}${problem === EMPTY_KEY ? '' : ': give bytes with --hex'}`);
    return { key, token: formatToken(tokenOfString(key)) };
  });
}

export default class Token extends BaseCommand {
  static override summary = 'Print the token of each key (needs no cluster).';
  static override description =
    "A key's token decides which nodes hold it; text keys get the token Cassandra prints for SELECT token(k).";
  static override examples = [
    '<%= config.bin %> token hello',
    '<%= config.bin %> token --hex 0a1b2c 75736572 --json',
  ];

  static override args = {
    keys: Args.string({
      description: 'keys (UTF-8 text, or hex bytes with --hex)',
      required: true,
      ...fromArgvOnly,
    }),
  };
  // Any number of keys.
  static override strict = false;

  static override flags = {
    hex: Flags.boolean({ description: 'read keys as hex bytes instead of UTF-8 text', default: false }),
  };

  async run(): Promise<{ tokens: KeyToken[] }> {
    const { argv, flags } = await this.parse(Token);
    const tokens = keyTokens(argv as string[], flags.hex);
    for (const { key, token } of tokens) this.say(`${key} ${token}`);
    return { tokens };
  }
}
