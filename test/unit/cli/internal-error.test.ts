import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Config } from '@oclif/core';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BaseCommand } from '../../../src/cli/base-command.js';

/** A command with a bug in it, as a TypeError from a missed undefined would be. */
class Broken extends BaseCommand {
  static override id = 'keyspace:broken';
  async run(): Promise<unknown> {
    await this.parse(Broken);
    const peers = new Map<string, { address: string }>();
    return peers.get('missing')!.address;
  }
}

let config: Config;
beforeAll(async () => {
  config = await Config.load({ root: process.cwd() });
});

async function runBroken(argv: string[], env: Record<string, string> = {}) {
  const stderr: string[] = [];
  const stdout: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (stderr.push(String(chunk)), true));
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (stdout.push(String(chunk)), true));
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  const exitCodeBefore = process.exitCode;
  const crashHandlers = process.listeners('uncaughtException');
  try {
    await Broken.run(argv, config);
    return { stderr: stderr.join(''), stdout: stdout.join(''), exitCode: process.exitCode };
  } finally {
    process.exitCode = exitCodeBefore;
    // The command's handler for escaped bugs would end the test runner's worker.
    for (const h of process.listeners('uncaughtException'))
      if (!crashHandlers.includes(h)) process.off('uncaughtException', h);
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  }
}

describe('a bug in a command', () => {
  afterEach(() => vi.restoreAllMocks());

  it('is one line naming the command and what to do, exit 1, no stack trace', async () => {
    const { stderr, stdout, exitCode } = await runBroken([]);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(
      /^error SERVER_ERROR: internal error in ringkv keyspace broken: .*undefined.* \(a bug: RINGKV_DEBUG=1 shows where; please report it\)\n$/,
    );
    expect(stderr).not.toContain('    at ');
    expect(stdout).toBe('');
    expect(exitCode).toBe(1);
  });

  it('is the error document with --json', async () => {
    const { stdout, exitCode } = await runBroken(['--json']);
    const doc = JSON.parse(stdout) as { error: { code: string; message: string } };
    expect(doc.error.code).toBe('SERVER_ERROR');
    expect(doc.error.message).toContain('internal error in ringkv keyspace broken');
    expect(exitCode).toBe(1);
  });

  it('shows its stack trace with RINGKV_DEBUG=1', async () => {
    const { stderr } = await runBroken([], { RINGKV_DEBUG: '1' });
    expect(stderr).toContain('TypeError');
    expect(stderr).toContain('    at ');
    expect(stderr).toMatch(/error SERVER_ERROR: internal error in ringkv keyspace broken/);
  });
});

/** The fixture as a process of its own: stdout, stderr and the exit code. */
function runLateBug(args: string[], env: Record<string, string> = {}) {
  const fixture = fileURLToPath(new URL('fixtures/late-bug.ts', import.meta.url));
  return new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', fixture, ...args],
      { env: { ...process.env, ...env }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ stdout, stderr, code: error ? (error.code as number) : 0 }),
    );
  });
}

describe('a bug that escapes a command in a callback', () => {
  const line =
    /^error SERVER_ERROR: internal error in ringkv hints late: Cannot read properties of undefined \(reading 'address'\) \(a bug: RINGKV_DEBUG=1 shows where; please report it\)\n$/;

  it('after the result: one line on stderr, exit 1, and --json still prints one document', async () => {
    const plain = await runLateBug([]);
    expect(plain.stderr).toMatch(line);
    expect(plain.code).toBe(1);
    const json = await runLateBug(['--json']);
    expect(JSON.parse(json.stdout)).toEqual({ scheduled: true });
    expect(json.stderr).toMatch(line);
    expect(json.code).toBe(1);
  });

  it('while the command runs: the error document with --json, exit 1', async () => {
    const json = await runLateBug(['--json'], { LATE_BUG_WHILE_RUNNING: '1' });
    const doc = JSON.parse(json.stdout) as { error: { code: string } };
    expect(doc.error.code).toBe('SERVER_ERROR');
    expect(json.stderr).toMatch(line);
    expect(json.stderr).not.toContain('    at ');
    expect(json.code).toBe(1);
  });
});
