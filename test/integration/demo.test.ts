import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../support/cluster.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** Waits until `stderr()` matches, or fails with what it holds. */
async function waitFor(stderr: () => string, pattern: RegExp, timeoutMs = 40_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = pattern.exec(stderr());
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`no ${String(pattern)} in:\n${stderr()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('ringkv demo', () => {
  it(
    'also stops a node that was killed and started again by hand on its folder',
    { timeout: 90_000 },
    async () => {
      // Without a terminal the demo reads its commands from standard input, held open meanwhile.
      const demo: ChildProcess = spawn(process.execPath, [BIN, 'demo'], {
        env: { ...process.env, RINGKV_SECRET: '' },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stderr = '';
      demo.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise<number>((resolve) => demo.on('exit', (code) => resolve(code ?? -1)));
      const pids: number[] = [];
      cleanups.push(() => {
        demo.kill('SIGKILL');
        for (const pid of pids.filter(alive)) process.kill(pid, 'SIGKILL');
      });

      await waitFor(() => stderr, /waiting for every node to see the others UP\.\.\. done/);
      pids.push(...[...stderr.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1])));
      expect(pids).toHaveLength(3);
      const last = pids[2] as number;
      const args = readFileSync(`/proc/${last}/cmdline`, 'utf8').split('\0');
      const data = args[args.indexOf('--data') + 1] as string;
      const root = dirname(data);
      cleanups.push(() => rmSync(root, { recursive: true, force: true }));

      process.kill(last, 'SIGKILL');
      const restarted = await runCli(['start', '--detach', '--port', '0', '--data', data, '--json']);
      expect(restarted.code, restarted.stderr).toBe(0);
      const stray = (JSON.parse(restarted.stdout) as { pid: number }).pid;
      pids.push(stray);
      expect(alive(stray)).toBe(true);

      demo.stdin?.end('get nothing-here\n');
      expect(await exited).toBe(0);
      expect(alive(stray), 'the node started by hand is stopped with the demo').toBe(false);
      expect(pids.filter(alive)).toEqual([]);
      expect(existsSync(root)).toBe(false);
    },
  );
});
