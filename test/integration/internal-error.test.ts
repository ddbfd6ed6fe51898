import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { nth, TestCluster } from '../support/cluster.js';

let cluster: TestCluster | undefined;

afterEach(async () => {
  await cluster?.stopAll();
  cluster = undefined;
});

/** Starts one node with a module preloaded that, on SIGUSR2, rejects a promise nobody handles. */
async function nodeWithABug(c: TestCluster): Promise<void> {
  const bug = join(c.root, 'bug.mjs');
  writeFileSync(bug, "process.on('SIGUSR2', () => { Promise.reject(new Error('injected bug')); });\n");
  const before = process.env.NODE_OPTIONS;
  process.env.NODE_OPTIONS = `${before ?? ''} --import ${pathToFileURL(bug).href}`;
  try {
    await c.start(1);
  } finally {
    if (before === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = before;
  }
}

describe('a node that meets an error no handler caught', () => {
  it(
    'stops cleanly, says so in one line, and keeps every acknowledged write',
    { timeout: 60_000 },
    async () => {
      const c = (cluster = new TestCluster());
      await nodeWithABug(c);
      const node = nth(c, 0);
      const client = await c.client();
      await client.put('before', 'kept', { keyspace: 'default', cl: 'ONE' });
      await client.close();

      const child = node.child;
      if (!child) throw new Error('the node is not running');
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGUSR2');
      // Without a handler, Node 20 would print the stack trace and exit with 1 at once.
      expect(await exited).toBe(1);
      const log = node.log.join('\n');
      expect(log.trimEnd().split('\n').at(-1)).toBe(
        'error SERVER_ERROR: internal error: injected bug: the node stopped; start it again, and report this log',
      );
      // The stack is kept for a bug report, as a field of one log line, not as lines of its own.
      expect(log).toMatch(/ERROR internal error error="injected bug" stack="Error: injected bug\\n/);
      expect(log).toMatch(/node stopped/);
      expect(log.split('\n').filter((line) => /^\s+at /.test(line))).toEqual([]);

      await c.restart(node);
      const after = await c.client();
      expect(await after.get('before', { keyspace: 'default', cl: 'ONE' })).toMatchObject({
        found: true,
        value: 'kept',
      });
    },
  );
});
