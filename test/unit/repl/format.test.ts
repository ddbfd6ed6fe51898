import { describe, expect, it } from 'vitest';
import { RingkvError } from '../../../src/protocol/errors.js';
import {
  COMMAND_NAMES,
  COMMANDS,
  HELP_NOTES,
  usageOf,
  type CommandName,
} from '../../../src/repl/commands.js';
import {
  barCells,
  errorLine,
  failedRangeLines,
  helpLines,
  repairProgressText,
  statsLines,
  statsTable,
} from '../../../src/repl/format.js';
import type { StatsResult } from '../../../src/client/api.js';
import { FakeCluster } from './fake-cluster.js';

const range = (start: number, reason: string) => ({
  start: String(start),
  end: String(start + 10),
  reason,
});

describe('failedRangeLines', () => {
  it('lists a reason few ranges share range by range', () => {
    expect(failedRangeLines([range(0, 'timeout'), range(10, 'timeout')])).toEqual([
      'failed range (0, 10]: timeout',
      'failed range (10, 20]: timeout',
    ]);
  });

  it('says a reason many ranges share once, in the order reasons first appear', () => {
    const down = 'replica n3 is down';
    const failed = [range(0, down), range(10, 'timeout'), ...[20, 30, 40, 50].map((s) => range(s, down))];
    expect(failedRangeLines(failed)).toEqual([
      `failed 5 ranges, (0, 10] and 4 more: ${down}`,
      'failed range (10, 20]: timeout',
    ]);
  });

  it('says nothing when every range was repaired', () => {
    expect(failedRangeLines([])).toEqual([]);
  });
});

describe('statsLines: the row cache', () => {
  const node = (rowCache?: StatsResult['rowCache']): StatsResult => {
    const idle = { requests: 0, failed: {}, latency: { p50: 0, p90: 0, p99: 0, max: 0 } };
    return {
      hostId: '0f80171c-0000-4000-8000-000000000000',
      address: 'ws://127.0.0.1:7400',
      uptimeMs: 60_000,
      coordinator: { writes: idle, reads: idle, readRepairs: 0 },
      replica: { writes: 0, reads: 0 },
      hints: { stored: 0, delivered: 0 },
      storage: { syncs: 0, writes: 0, largestGroup: 0 },
      ...(rowCache ? { rowCache } : {}),
    };
  };
  const last = (s: StatsResult) => statsLines(s).at(-1);

  it('says how full it is and how often a lookup found its key, to size --row-cache-mb by', () => {
    const mib = 1024 * 1024;
    expect(last(node({ rows: 9812, bytes: 2.5 * mib, capacityBytes: 64 * mib, hits: 951, misses: 49 }))).toBe(
      'row cache: 9812 rows, 2.5 MiB of 64.0 MiB; 95.1% of 1000 lookups hit',
    );
    expect(last(node({ rows: 0, bytes: 0, capacityBytes: 64 * mib, hits: 0, misses: 0 }))).toBe(
      'row cache: 0 rows, 0 B of 64.0 MiB; no lookups yet',
    );
    expect(last(node({ rows: 0, bytes: 0, capacityBytes: 0, hits: 0, misses: 7 }))).toBe(
      'row cache: off (--row-cache-mb 0): every write reads storage first',
    );
  });

  it('leaves it out for a node from before it was counted', () => {
    expect(last(node())).toMatch(/^storage: /);
  });
});

describe('repairProgressText', () => {
  it('counts keys streamed, or for a preview, which streams nothing, keys to stream', () => {
    const p = { rangesDone: 3, ranges: 12, keysStreamed: 40, rangesFailed: 1 };
    expect(repairProgressText(p)).toBe('3/12 ranges (1 failed), 40 keys streamed');
    expect(repairProgressText(p, true)).toBe('3/12 ranges (1 failed), 40 keys to stream');
  });
});

describe('barCells', () => {
  it('fills with repaired ranges, and keeps failed ones apart so a failed repair is never all green', () => {
    expect(barCells({ rangesDone: 6, ranges: 12, keysStreamed: 0 }, 20)).toEqual({
      repaired: 10,
      failed: 0,
      todo: 10,
    });
    expect(barCells({ rangesDone: 48, ranges: 48, keysStreamed: 0, rangesFailed: 48 }, 20)).toEqual({
      repaired: 0,
      failed: 20,
      todo: 0,
    });
    expect(barCells({ rangesDone: 48, ranges: 48, keysStreamed: 0, rangesFailed: 16 }, 20)).toEqual({
      repaired: 13,
      failed: 7,
      todo: 0,
    });
  });

  it('gives one failed range a cell however many ranges there are', () => {
    expect(barCells({ rangesDone: 200, ranges: 200, keysStreamed: 0, rangesFailed: 1 }, 20)).toEqual({
      repaired: 19,
      failed: 1,
      todo: 0,
    });
  });

  it('is empty before the first range', () => {
    expect(barCells(undefined, 20)).toEqual({ repaired: 0, failed: 0, todo: 20 });
  });
});

describe('errorLine for UNAUTHORIZED', () => {
  it('points at the secret, or at the cluster name when that is what differs', () => {
    expect(errorLine(new RingkvError('UNAUTHORIZED', 'authentication failed'))).toBe(
      'error UNAUTHORIZED: authentication failed: check --secret or RINGKV_SECRET',
    );
    expect(errorLine(new RingkvError('UNAUTHORIZED', 'cluster name mismatch', { clusterName: 'prod' }))).toBe(
      'error UNAUTHORIZED: cluster name mismatch: pass --cluster-name prod, or --node of a node of your cluster',
    );
  });
});

describe('errorLine for NO_HOST_AVAILABLE', () => {
  it('says to raise the timeout when every contact point answered too slowly rather than not at all', () => {
    expect(
      errorLine(
        new RingkvError(
          'NO_HOST_AVAILABLE',
          'no contact point could be reached (… no handshake within 20 ms)',
          {
            timeoutMs: 20,
          },
        ),
      ),
    ).toBe(
      'error NO_HOST_AVAILABLE: no contact point could be reached (… no handshake within 20 ms): raise --timeout (20 ms), or check that the node is not overloaded or paused',
    );
  });

  it('says to start a node, or for a LOCAL_* request how to go through another data center', () => {
    expect(errorLine(new RingkvError('NO_HOST_AVAILABLE', 'no contact point could be reached'))).toBe(
      'error NO_HOST_AVAILABLE: no contact point could be reached: start a node with "ringkv start", or pass --node ws://HOST:PORT of a running one',
    );
    expect(
      errorLine(
        new RingkvError('NO_HOST_AVAILABLE', 'no node of west could take the request', { dc: 'west' }),
      ),
    ).toBe(
      'error NO_HOST_AVAILABLE: no node of west could take the request: bring a node of west back, name another data center with --local-dc, or use a CL that is not LOCAL_*',
    );
  });

  it('says a write lost with its coordinator may have been applied, not to start a node', () => {
    const lost = new RingkvError(
      'NO_HOST_AVAILABLE',
      'the connection to ws://10.0.0.1:7400 closed (close code 1006), with the write in flight: it may have been applied',
      { inFlight: true },
    );
    expect(errorLine(lost)).toBe(
      'error NO_HOST_AVAILABLE: the connection to ws://10.0.0.1:7400 closed (close code 1006), with the write in flight: it may have been applied: read the key to see whether it was, or write it again',
    );
  });
});

describe('errorLine for UNAVAILABLE', () => {
  it('says to bring a node back when one is down, and to add nodes when the cluster is too small', () => {
    const down = { cl: 'ALL', required: 3, alive: 2, replicas: 3 };
    expect(errorLine(new RingkvError('UNAVAILABLE', 'x', down))).toBe(
      'error UNAVAILABLE: ALL needs 3 replicas, 2 are alive: use TWO, or bring a node back',
    );
    const small = { cl: 'ALL', required: 3, alive: 2, replicas: 2 };
    expect(errorLine(new RingkvError('UNAVAILABLE', 'x', small))).toBe(
      'error UNAVAILABLE: ALL needs 3 replicas, 2 are alive: only 2 nodes can hold its replicas: use TWO, or add nodes',
    );
    // A keyspace whose data centers have no node yet.
    const none = { cl: 'ONE', required: 1, alive: 0, replicas: 0 };
    expect(errorLine(new RingkvError('UNAVAILABLE', 'x', none))).toBe(
      'error UNAVAILABLE: ONE needs 1 replica, 0 are alive: no node of the cluster can hold its replicas: add nodes to its data centers',
    );
  });
});

describe('errorLine for UNAVAILABLE at a CL that counts by data center', () => {
  const dc = (required: number, alive: number, replicas: number) => ({ required, alive, replicas });

  it('names the DC that fell short, and a CL the live replicas elsewhere can meet', () => {
    const local = { cl: 'LOCAL_QUORUM', required: 2, alive: 0, replicas: 3 };
    const dcs = { west: dc(2, 0, 3), east: dc(0, 2, 2) };
    expect(errorLine(new RingkvError('UNAVAILABLE', 'x', { ...local, dcs }))).toBe(
      'error UNAVAILABLE: LOCAL_QUORUM needs 2 replicas in west, 0 are alive there: use TWO, or bring a node back in west',
    );
    const one = { cl: 'LOCAL_ONE', required: 1, alive: 0, replicas: 3, dcs };
    expect(errorLine(new RingkvError('UNAVAILABLE', 'x', one))).toBe(
      'error UNAVAILABLE: LOCAL_ONE needs 1 replica in west, 0 are alive there: use ONE, or bring a node back in west',
    );
    const each = { cl: 'EACH_QUORUM', required: 4, alive: 3, replicas: 5 };
    expect(
      errorLine(
        new RingkvError('UNAVAILABLE', 'x', { ...each, dcs: { dc1: dc(2, 3, 3), dc2: dc(2, 0, 2) } }),
      ),
    ).toBe(
      'error UNAVAILABLE: EACH_QUORUM needs 4 replicas (2 in dc1, 2 in dc2), 3 are alive (3 in dc1, 0 in dc2): use THREE, or bring a node back in dc2',
    );
  });

  it('says to add nodes to a DC with too few, and to write at ANY when nothing is alive', () => {
    const small = { cl: 'LOCAL_QUORUM', required: 2, alive: 1, replicas: 1, dcs: { west: dc(2, 1, 1) } };
    expect(errorLine(new RingkvError('UNAVAILABLE', 'x', small))).toBe(
      'error UNAVAILABLE: LOCAL_QUORUM needs 2 replicas in west, 1 is alive there: use ONE, or add nodes to west',
    );
    const none = { cl: 'LOCAL_ONE', required: 1, alive: 0, replicas: 2, dcs: { west: dc(1, 0, 2) } };
    expect(errorLine(new RingkvError('UNAVAILABLE', 'x', none))).toBe(
      'error UNAVAILABLE: LOCAL_ONE needs 1 replica in west, 0 are alive there: bring a node back in west (a write at ANY is kept as a hint)',
    );
  });
});

describe('errorLine for WRITE_TIMEOUT and READ_TIMEOUT', () => {
  it('names the replicas whose connection was lost instead of saying the request timed out', () => {
    const lost = { cl: 'ALL', required: 3, received: 2, unreachable: { n3: 'the connection closed (1006)' } };
    expect(errorLine(new RingkvError('WRITE_TIMEOUT', 'x', lost))).toBe(
      'error WRITE_TIMEOUT: ALL write: 2 of the 3 replicas it needs acknowledged; no answer from n3 (the connection closed (1006)); the write may have been applied: read it back before retrying, or use TWO',
    );
    const failed = { ...lost, received: 1, failures: { n2: 'the disk of /d is full' } };
    expect(errorLine(new RingkvError('READ_TIMEOUT', 'x', failed))).toBe(
      'error READ_TIMEOUT: ALL read: 1 of the 3 replicas it needs answered; no answer from n3 (the connection closed (1006)); n2 failed it: the disk of /d is full: retry, or use ONE',
    );
    expect(errorLine(new RingkvError('READ_TIMEOUT', 'x', { cl: 'QUORUM', required: 2, received: 1 }))).toBe(
      'error READ_TIMEOUT: QUORUM read timed out: 1 of the 2 replicas it needs answered: retry, or use ONE',
    );
  });
});

describe('narrow terminals', () => {
  const help = (command?: CommandName) => {
    const topics = command === undefined ? COMMAND_NAMES : [command];
    return {
      kind: 'help' as const,
      topics: topics.map((name) => ({
        name,
        usage: usageOf(name),
        summary: COMMANDS[name].summary,
        help: COMMANDS[name].help,
      })),
      detailed: command !== undefined,
      notes: command === undefined ? HELP_NOTES : [],
    };
  };

  it('wraps a help summary under its own column, never to column 0', () => {
    const lines = helpLines(help(), 80);
    expect(lines.every((l) => l.length <= 80)).toBe(true);
    const cleanup = lines.findIndex((l) => l.startsWith('cleanup [KEYSPACE]'));
    const indent = ' '.repeat(usageOf('repair').length + 2);
    expect(lines[cleanup]).toBe(
      `${'cleanup [KEYSPACE]'.padEnd(indent.length)}every node drops the data it no longer`,
    );
    expect(lines[cleanup + 1]).toBe(`${indent}replicates`);
    // Wider, or in a script, every summary is on its usage's line.
    expect(helpLines(help(), Infinity).filter((l) => /^[a-z]/.test(l))).toHaveLength(COMMAND_NAMES.length);
  });

  it('puts summaries under their usage when even that column does not fit', () => {
    const lines = helpLines(help(), 50);
    expect(lines.every((l) => l.length <= 50)).toBe(true);
    expect(lines.slice(0, 2)).toEqual(['put KEY VALUE [CL]', '    write a value']);
  });

  it("lays out a command's help in the width", () => {
    const lines = helpLines(help('repair'), 80);
    expect(lines[0]).toBe('usage: repair [--pr] [--full] [KEYSPACE]');
    expect(lines.length).toBeGreaterThan(3);
    expect(lines.every((l) => l.length <= 80)).toBe(true);
  });

  it('leaves stats columns out to fit 100 and 80 columns, and says which', async () => {
    const api = new FakeCluster();
    await api.put('a', '1', { keyspace: 'default', cl: 'ONE' });
    const nodes = await api.statsOfEveryNode();
    const full = statsTable(nodes);
    expect(full[0]).toBe(
      'NODE    WRITES  P50 MS  P99 MS  READS  P50 MS  P99 MS  FAILED  REPAIRED  REPLICA W/R  HINTS IN/OUT  PER SYNC',
    );
    expect(full).toHaveLength(4);
    const at100 = statsTable(nodes, 100);
    expect(at100.every((l) => l.length <= 100)).toBe(true);
    expect(at100[0]).toBe(
      'NODE    WRITES  P50 MS  P99 MS  READS  P50 MS  P99 MS  FAILED  REPAIRED  REPLICA W/R  HINTS IN/OUT',
    );
    expect(at100.at(-1)).toBe('not shown at this width: PER SYNC');
    // Both medians go together; requests, p99s and failures stay.
    const at80 = statsTable(nodes, 80);
    expect(at80.every((l) => l.length <= 80)).toBe(true);
    expect(at80[0]).toBe('NODE    WRITES  P99 MS  READS  P99 MS  FAILED  REPAIRED  HINTS IN/OUT');
    expect(at80[1]).toBe('node-1  1       1.50    0      0.00    0       0         0/0');
    expect(at80.at(-1)).toBe('not shown at this width: write P50, read P50, REPLICA W/R, PER SYNC');
  });
});
