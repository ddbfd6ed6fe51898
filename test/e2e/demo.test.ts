import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../support/cluster.js';

/**
 * `ringkv demo` as a person meets it: in a real terminal (tmux), typing at the Ink prompt and
 * reading the screen. It checks the one promise a demo must keep above all: when the REPL is
 * left, no node process is left behind.
 */

const BUILT_DEMO = fileURLToPath(new URL('../../dist/commands/demo.js', import.meta.url));
/** A tmux server of our own: the test never touches a user's sessions, and killing it ends everything in it. */
const SOCKET = `ringkv-e2e-${process.pid}`;
const SESSION = 'demo';
const WIDTH = 120;
/** Starting three node processes on a busy two-core CI machine can take a while. */
const STARTUP_TIMEOUT_MS = 40_000;
const STEP_TIMEOUT_MS = 10_000;

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, '-f', '/dev/null', ...args], { encoding: 'utf8' });
}

function screen(): string {
  return tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', SESSION);
}

/** Polls the terminal until it shows what is expected; on timeout, fails with what it showed. */
async function waitForScreen(what: string, check: (text: string) => boolean, timeoutMs = STEP_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    last = screen();
    if (check(last)) return last;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; the terminal showed:\n${last.trimEnd()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Types a line into the REPL the way a person does: the text, then Enter. */
function typeLine(text: string): void {
  tmux('send-keys', '-t', SESSION, '-l', text);
  tmux('send-keys', '-t', SESSION, 'Enter');
}

/** Node processes still running with a data folder under the demo's temporary folder. */
function nodesUnder(root: string): number[] {
  const found = spawnSync('pgrep', ['-f', `${root}/`], { encoding: 'utf8' });
  if (found.error) throw new Error(`pgrep is needed to look for left-over processes: ${found.error.message}`);
  return found.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(Number);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A missing prerequisite fails the test with what to do: the test is never skipped. */
function requirePrerequisites(): void {
  const probe = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'the end-to-end test needs tmux to drive a real terminal, and tmux is not installed: ' +
        'install it (apt-get install tmux, brew install tmux) and run the tests again',
    );
  }
  if (!existsSync(BUILT_DEMO)) {
    throw new Error(`${BUILT_DEMO} is missing: run \`npm run build\` before the end-to-end test`);
  }
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

describe('ringkv demo in a real terminal', () => {
  let root: string | undefined;
  let nodePids: number[] = [];
  // Made in beforeAll: a folder made while tests are collected outlives a run that skips them all.
  let home: string | undefined;
  let historyFile: string;

  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'ringkv-e2e-home-'));
    historyFile = join(home, 'history');
  });

  afterAll(async () => {
    // Ending the server hangs up on the demo, which stops its nodes; anything that survives a
    // failed test is killed here by pid, never by name.
    spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
    const leftover = [...(root ? nodesUnder(root) : []), ...nodePids].filter(alive);
    const deadline = Date.now() + 10_000;
    while (leftover.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    for (const pid of leftover.filter(alive)) process.kill(pid, 'SIGKILL');
    if (root) rmSync(root, { recursive: true, force: true });
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('puts and gets a key at QUORUM, draws the ring, and leaves no node behind on exit', async () => {
    requirePrerequisites();
    const demo = [process.execPath, BIN, 'demo'].map(quote).join(' ');
    // The history goes to a file of the test's own; the shell stays after the demo so that its
    // exit status can be read off the screen.
    const command = `RINGKV_HISTORY=${quote(historyFile)} ${demo}; echo "[demo exited with $?]"; sleep 600`;
    tmux('new-session', '-d', '-s', SESSION, '-x', String(WIDTH), '-y', '50', command);

    const started = await waitForScreen(
      'the prompt and a status line with 3 nodes UP',
      (s) => /ringkv:default>/.test(s) && /3 UP · 0 DOWN/.test(s),
      STARTUP_TIMEOUT_MS,
    );
    root = /(\S*ringkv-demo-[A-Za-z0-9]+)/.exec(started)?.[1];
    expect(root, 'the demo names its temporary folder').toBeDefined();
    nodePids = [...started.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));
    expect(nodePids).toHaveLength(3);
    expect(nodePids.every(alive)).toBe(true);
    expect(nodesUnder(root!).sort()).toEqual([...nodePids].sort());

    typeLine('put e2e-key hello QUORUM');
    await waitForScreen('the put at QUORUM', (s) => /e2e-key written at QUORUM/.test(s));
    const put = screen();
    // QUORUM of RF 3: two replicas acknowledged.
    expect(put).toMatch(/acked by [0-9a-f]{8}, [0-9a-f]{8}/);

    // The CL is completed with Tab, as a person would type it.
    tmux('send-keys', '-t', SESSION, '-l', 'get e2e-key QUO');
    tmux('send-keys', '-t', SESSION, 'Tab');
    await waitForScreen('QUORUM completed at the prompt', (s) =>
      /ringkv:default> get e2e-key QUORUM *$/m.test(s),
    );
    tmux('send-keys', '-t', SESSION, 'Enter');
    await waitForScreen(
      'the value read at QUORUM',
      (s) => /e2e-key = hello/.test(s) && /QUORUM from /.test(s),
    );

    typeLine('ring e2e-key');
    const ring = await waitForScreen('the ring with the key marked', (s) => /replica 3/.test(s));
    // A band of vnodes as wide as the terminal allows, one letter per node.
    expect(ring).toMatch(new RegExp(`^\\|[ABC]{${WIDTH - 2}}\\|$`, 'm'));
    expect(ring).toMatch(/\^ e2e-key token -?\d+/);
    for (const letter of 'ABC')
      expect(ring).toMatch(new RegExp(`^ ${letter} +127\\.0\\.0\\.1:\\d+ +UP .*owns 100\\.0%`, 'm'));

    typeLine('exit');
    await waitForScreen('the demo to exit', (s) => /\[demo exited with 0\]/.test(s), 20_000);
    expect(nodesUnder(root!)).toEqual([]);
    expect(nodePids.filter(alive)).toEqual([]);
    expect(existsSync(root!), 'the temporary folder is removed').toBe(false);
    expect(readFileSync(historyFile, 'utf8').split('\n')).toEqual(
      expect.arrayContaining(['put e2e-key hello QUORUM', 'get e2e-key QUORUM', 'ring e2e-key']),
    );
  }, 60_000);
});
