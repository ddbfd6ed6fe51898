import { Config } from '@oclif/core';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import Bench from '../../../src/commands/bench.js';

let config: Config;
beforeAll(async () => {
  config = await Config.load({ root: process.cwd() });
});
afterEach(() => vi.restoreAllMocks());

/** Runs bench in this process; a refused flag never gets as far as dialing the contact point. */
async function bench(argv: string[]): Promise<{ stderr: string; exitCode: number | string | undefined }> {
  const stderr: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (stderr.push(String(chunk)), true));
  const before = process.exitCode;
  const crashHandlers = process.listeners('uncaughtException');
  try {
    await Bench.run([...argv, '--node', 'ws://127.0.0.1:9'], config);
    return { stderr: stderr.join(''), exitCode: process.exitCode };
  } finally {
    process.exitCode = before;
    for (const h of process.listeners('uncaughtException'))
      if (!crashHandlers.includes(h)) process.off('uncaughtException', h);
    vi.restoreAllMocks();
  }
}

describe("bench's numeric flags", () => {
  it.each([
    ['--value-bytes', '99999999999', 0, 64 * 1024 * 1024],
    ['--value-bytes', '-1', 0, 64 * 1024 * 1024],
    ['--concurrency', '99999999999', 1, 10_000],
    ['--records', '99999999999999999999', 1, Number.MAX_SAFE_INTEGER],
    ['--rate', '99999999999', 1, 1_000_000],
    ['--ops', '0', 1, Number.MAX_SAFE_INTEGER],
  ])('refuse %s %s as a usage error that gives the range', async (flag, value, min, max) => {
    const { stderr, exitCode } = await bench([flag, value]);
    expect(stderr).toBe(
      `error USAGE: Parsing ${flag}: "${value}" is not an integer from ${min} to ${max} (see --help)\n`,
    );
    expect(exitCode).toBe(2);
  });
});

describe("bench's --warmup", () => {
  it.each(['soon', '-1s'])('refuses %s as a usage error before it dials anything', async (value) => {
    const { stderr, exitCode } = await bench(['--warmup', value]);
    expect(stderr).toMatch(new RegExp(`^error USAGE: --warmup "${value}" is not a duration like 500ms`));
    expect(exitCode).toBe(2);
  });
});
