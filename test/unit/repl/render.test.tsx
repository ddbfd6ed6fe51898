import { cleanup, render } from 'ink-testing-library';
import { stripVTControlCharacters } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { RingkvError } from '../../../src/protocol/errors.js';
import { ErrorView } from '../../../src/repl/render/error-view.js';
import { HintsTable } from '../../../src/repl/render/hints-table.js';
import { EntryView, RunningView } from '../../../src/repl/render/output.js';
import { ProgressBar } from '../../../src/repl/render/progress-bar.js';
import { Prompt } from '../../../src/repl/render/prompt.js';
import { charsFor, promptRows, promptView } from '../../../src/repl/long-line.js';
import { StatusLine } from '../../../src/repl/render/status-line.js';
import { TraceWaterfall } from '../../../src/repl/render/trace-waterfall.js';
import { RingView } from '../../../src/repl/render/ring-view.js';
import { FakeCluster } from './fake-cluster.js';

const text = (ui: ReturnType<typeof render>) => stripVTControlCharacters(ui.lastFrame() ?? '');

afterEach(() => cleanup());

describe('RingView', () => {
  it('draws the vnodes of 3 nodes along a band with their ownership', async () => {
    const api = new FakeCluster(3, 4);
    const ui = render(
      <RingView
        ring={await api.ring()}
        status={await api.status('default')}
        endpoints={undefined}
        width={62}
      />,
    );
    const [band, ...legend] = text(ui).split('\n');
    // 12 vnodes interleaved A B C A B C ... over 60 columns: runs of 5. A token owns the range
    // that ends at it, so the band starts with the owner of the range after A's first token.
    expect(band).toBe(`|${'BBBBBCCCCCAAAAA'.repeat(4)}|`);
    // In 62 columns the vnode count is left out rather than let each line wrap.
    expect(legend).toEqual([
      ' A  127.0.0.1:7401  UP  dc1/rack1  primary 33.3%  owns 100.0%',
      ' B  127.0.0.1:7402  UP  dc1/rack1  primary 33.3%  owns 100.0%',
      ' C  127.0.0.1:7403  UP  dc1/rack1  primary 33.3%  owns 100.0%',
    ]);
    const wide = render(
      <RingView
        ring={await api.ring()}
        status={await api.status('default')}
        endpoints={undefined}
        width={100}
      />,
    );
    expect(text(wide).split('\n')[1]).toBe(
      ' A  127.0.0.1:7401  UP  dc1/rack1  4 vnodes  primary 33.3%  owns 100.0%',
    );
  });

  it("keeps each node's line, with its replica rank, on one line at 80 columns", async () => {
    const api = new FakeCluster(3, 16);
    const endpoints = await api.endpoints('k3', 'default');
    const ui = render(
      <RingView
        ring={await api.ring()}
        status={await api.status('default')}
        endpoints={endpoints}
        width={80}
      />,
    );
    const lines = text(ui).split('\n');
    expect(lines.every((l) => l.length <= 80)).toBe(true);
    expect(lines.slice(2)).toEqual([
      expect.stringMatching(
        /^ A {2}127\.0\.0\.1:7401 {2}UP {2}dc1\/rack1 {2}primary 33\.3% {2}owns 100\.0% {2}replica \d$/,
      ),
      expect.stringMatching(
        /^ B {2}127\.0\.0\.1:7402 {2}UP {2}dc1\/rack1 {2}primary 33\.3% {2}owns 100\.0% {2}replica \d$/,
      ),
      expect.stringMatching(
        /^ C {2}127\.0\.0\.1:7403 {2}UP {2}dc1\/rack1 {2}primary 33\.3% {2}owns 100\.0% {2}replica \d$/,
      ),
    ]);
  });

  it("marks a key's token and its replicas, and which are down", async () => {
    const api = new FakeCluster(3, 4);
    api.setState('node-2', 'DOWN');
    const endpoints = await api.endpoints('user:42', 'default');
    const ui = render(
      <RingView
        ring={await api.ring()}
        status={await api.status('default')}
        endpoints={endpoints}
        width={62}
      />,
    );
    const lines = text(ui).split('\n');
    expect(lines[1]).toContain(`user:42 token ${endpoints.token}`);
    expect(lines[1]).toContain('^');
    const node2 = lines.find((l) => l.includes('127.0.0.1:7402'));
    expect(node2).toMatch(/DOWN .*replica \d$/);
    expect(lines.filter((l) => /replica \d/.test(l))).toHaveLength(3);
  });
});

describe('ProgressBar', () => {
  it('fills in proportion to the ranges done', () => {
    const ui = render(<ProgressBar progress={{ rangesDone: 3, ranges: 12, keysStreamed: 9 }} width={60} />);
    expect(text(ui)).toBe(`[${'█'.repeat(5)}${'░'.repeat(15)}]  25% 3/12 ranges, 9 keys streamed`);
  });

  it('says how many of the ranges done failed', () => {
    const progress = { rangesDone: 12, ranges: 12, keysStreamed: 0, rangesFailed: 12 };
    const ui = render(<ProgressBar progress={progress} width={60} />);
    expect(text(ui)).toBe(`[${'█'.repeat(20)}] 100% 12/12 ranges (12 failed), 0 keys streamed`);
  });

  it('shows an empty bar before the first range', () => {
    const ui = render(<ProgressBar progress={undefined} width={60} />);
    expect(text(ui)).toBe(`[${'░'.repeat(20)}]   0% comparing trees`);
  });
});

describe('ErrorView', () => {
  it('shows UNAVAILABLE from its details, with a lower CL to try', () => {
    const error = new RingkvError('UNAVAILABLE', 'not enough replicas', {
      required: 2,
      alive: 1,
      cl: 'QUORUM',
    });
    const ui = render(<ErrorView error={error} />);
    expect(text(ui)).toBe(
      'UNAVAILABLE: QUORUM needs 2 replicas, 1 is alive\ntry: use ONE, or bring a node back',
    );
  });

  it('says a timed-out write may have been applied', () => {
    const error = new RingkvError('WRITE_TIMEOUT', 'timeout', { received: 0, required: 1, cl: 'ONE' });
    const ui = render(<ErrorView error={error} />);
    // Wrapped to the terminal's width: compared as one line.
    expect(text(ui).replace(/\s+/g, ' ')).toContain(
      'ONE write timed out: 0 of the 1 replica it needs acknowledged; the write may have been applied',
    );
  });
});

describe('HintsTable', () => {
  it('lists hints per holder and target with age and the past-window flag', () => {
    const ui = render(
      <HintsTable
        hints={[
          { holder: 'node-1', target: 'node-3', count: 12, bytes: 3000, oldest: 0, pastWindow: false },
          { holder: 'node-2', target: 'node-3', count: 1, bytes: 10, oldest: 0, pastWindow: true },
        ]}
        unanswered={[]}
        asOfMs={4 * 3600 * 1000}
      />,
    );
    expect(text(ui).split('\n')).toEqual([
      'HOLDER  TARGET  HINTS  BYTES    OLDEST',
      'node-1  node-3  12     2.9 KiB  4h00m',
      'node-2  node-3  1      10 B     4h00m   PAST WINDOW: repair',
    ]);
  });

  it('names the nodes whose hints it could not count', () => {
    const ui = render(
      <HintsTable
        hints={[]}
        unanswered={[
          {
            hostId: 'aaaaaaaa-1111',
            address: 'ws://10.0.0.1:7400',
            error: { code: 'UNAVAILABLE', message: 'the node is down' },
          },
          {
            hostId: 'bbbbbbbb-2222',
            address: 'ws://10.0.0.2:7400',
            error: { code: 'READ_TIMEOUT', message: 'timed out' },
          },
        ]}
        asOfMs={0}
      />,
    );
    expect(text(ui).split('\n')).toEqual([
      'no hints',
      'note: aaaaaaaa at ws://10.0.0.1:7400 is down: the hints it holds are not listed',
      'note: bbbbbbbb at ws://10.0.0.2:7400 did not answer (timed out): the hints it holds are not listed',
    ]);
  });
});

describe('RingView key marker', () => {
  it('puts the label left of the caret near the right edge', () => {
    const ring = [{ token: '0', hostId: 'a', address: 'a:1' }];
    const endpoints = {
      key: 'k',
      keyspace: 'default',
      token: '9223372036854775000',
      replicas: [{ hostId: 'a', address: 'a:1', dc: 'dc1', rack: 'r1', state: 'UP' as const }],
    };
    const ui = render(<RingView ring={ring} status={undefined} endpoints={endpoints} width={42} />);
    const marker = text(ui).split('\n')[1] ?? '';
    expect(marker).toBe(
      `${' '.repeat(40 - 'k token 9223372036854775000'.length - 1)}k token 9223372036854775000 ^`,
    );
    expect(marker.indexOf('^')).toBe(40);
  });
});

describe('TraceWaterfall', () => {
  it("draws a reply's bar from when it was asked to when it answered", () => {
    const trace = [
      { at: 0, node: 'node-1', event: 'asking node-2' },
      { at: 9000, node: 'node-1', event: 'reply from node-2 after 9.00 ms' },
      { at: 10_000, node: 'node-1', event: 'reply from node-3 after 1.00 ms' },
    ];
    const lines = text(render(<TraceWaterfall trace={trace} width={80} />)).split('\n');
    // 20 columns of bar over 10 ms: the slow reply spans 0..9 ms, the fast one only its last ms.
    const bar = (offset: number, length: number) => `${' '.repeat(offset)}${'█'.repeat(length)}`.padEnd(20);
    expect(lines.slice(1)).toEqual([
      `   0.00 ms node-1 ${bar(0, 1)} asking node-2`,
      `   9.00 ms node-1 ${bar(0, 18)} reply from node-2 after 9.00 ms`,
      `  10.00 ms node-1 ${bar(17, 3)} reply from node-3 after 1.00 ms`,
    ]);
  });

  it('shortens host ids and wraps long events under themselves', () => {
    const id = '29cdd1f2-bd5d-42f6-93c1-383f8a0c4882';
    const trace = [
      { at: 0, node: id, event: `sending mutation to ${id} and to every other replica of the key` },
    ];
    const lines = text(render(<TraceWaterfall trace={trace} width={60} />)).split('\n');
    // 15 columns of bar at width 60: the event column starts at 36 and wraps there.
    expect(lines[1]).toMatch(/^ +0\.00 ms 29cdd1f2 █ +sending mutation to$/);
    expect(lines[2]).toMatch(/^ {36}29cdd1f2 and to/);
    expect(lines.join('\n')).not.toContain(id);
  });
});

describe('StatusLine', () => {
  const session = { cl: 'QUORUM' as const, keyspace: 'default', tracing: false };
  it('says where the session points and how many nodes are up', () => {
    const ui = render(
      <StatusLine
        contact="ws://127.0.0.1:7401"
        session={session}
        topology={{ up: 2, down: 1 }}
        width={120}
      />,
    );
    expect(text(ui)).toBe(
      '127.0.0.1:7401 · CL QUORUM · keyspace default · tracing off · 2 UP · 1 DOWN · help, Ctrl-D exits',
    );
  });

  it('stays on one line on a narrow terminal, keeping the counts', () => {
    const ui = render(
      <StatusLine contact="ws://127.0.0.1:7401" session={session} topology={{ up: 2, down: 1 }} width={60} />,
    );
    expect(text(ui)).toBe('127.0.0.1:7401 · CL QUORUM · keyspace default · 2 UP · 1 DOWN');
  });
});

describe('long lines', () => {
  // Ink hard-wraps a whole line at every render, which took minutes for a pasted 160 KB value.
  const value = 'z'.repeat(1024 * 1024);
  const line = `put p1 ${value}`;
  // Compared without blanks: Ink drops the blank where it wraps between words, not inside one.
  const squeezed = (ui: ReturnType<typeof render>) => text(ui).replace(/\s+/g, '');

  it('the prompt shows a few rows around the cursor, and the length of the line', () => {
    const prompt = 'ringkv:default> ';
    const view = promptView(line, line.length, charsFor(promptRows, 100, prompt.length));
    const ui = render(<Prompt prompt={prompt} view={view} candidates={[]} exitArmed={false} busy={false} />);
    // Three rows of the 100-column terminal ink-testing-library draws in.
    const rows = text(ui).split('\n');
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/^ringkv:default> …z+$/);
    // The cursor is the blank cell after the last character.
    expect(rows[2]).toMatch(/^z+ {2}\(1048583 chars\)$/);
  });

  it('the prompt shows all of a line that fits, as it was', () => {
    const view = promptView('get a', 1, 200);
    const ui = render(
      <Prompt prompt="ringkv:default> " view={view} candidates={[]} exitArmed={false} busy={false} />,
    );
    expect(text(ui)).toBe('ringkv:default> get a');
  });

  it('an entered line is echoed by its start, with its length, while it runs and once done', () => {
    const command = { name: 'put' as const, key: 'p1', value, cl: undefined };
    const running = render(
      <RunningView
        running={{
          id: 1,
          input: line,
          keyspace: 'default',
          command,
          progress: undefined,
          cancelling: false,
          dropped: [],
        }}
        width={100}
      />,
    );
    expect(squeezed(running)).toMatch(/^runningputp1z{100,}…\(1048583chars\)\(Ctrl-Ccancels\)$/);
    expect(text(running).split('\n').length).toBeLessThanOrEqual(3);
    const entry = {
      id: 1,
      input: line,
      keyspace: 'default',
      outcome: { kind: 'error' as const, error: new RingkvError('INVALID_REQUEST', 'refused') },
      skipped: [line],
    };
    const done = render(<EntryView entry={entry} width={100} />);
    expect(squeezed(done)).toMatch(
      /^ringkv:default>putp1z{100,}…\(1048583chars\)INVALID_REQUEST:refusednotrunafterthefailure:putp1z{100,}…\(1048583chars\)$/,
    );
    expect(text(done).split('\n')).toHaveLength(5);
  });

  it('a long value read back is drawn by its start', () => {
    const result = {
      key: 'p1',
      keyspace: 'default',
      cl: 'ONE' as const,
      found: true,
      value,
      timestamp: 1,
      coordinator: 'node-1',
      replicas: ['node-1'],
      repaired: [],
    };
    const entry = {
      id: 1,
      input: 'get p1',
      keyspace: 'default',
      outcome: { kind: 'ok' as const, result: { kind: 'get' as const, result } },
      skipped: [],
    };
    const shown = squeezed(render(<EntryView entry={entry} width={100} />));
    expect(shown).toMatch(/^ringkv:default>getp1p1=z{4096}…\(1048576chars;ringkvgetprintsitwhole\)/);
  });
});
