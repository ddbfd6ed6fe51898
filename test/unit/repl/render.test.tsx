import { cleanup, render } from 'ink-testing-library';
import { stripVTControlCharacters } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { RingkvError } from '../../../src/protocol/errors.js';
import { ErrorView } from '../../../src/repl/render/error-view.js';
import { HintsTable } from '../../../src/repl/render/hints-table.js';
import { ProgressBar } from '../../../src/repl/render/progress-bar.js';
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
    expect(legend).toEqual([
      expect.stringMatching(/^ A {2}127\.0\.0\.1:7401 +UP +4 vnodes +owns 100\.0%$/),
      expect.stringMatching(/^ B {2}127\.0\.0\.1:7402 +UP +4 vnodes +owns 100\.0%$/),
      expect.stringMatching(/^ C {2}127\.0\.0\.1:7403 +UP +4 vnodes +owns 100\.0%$/),
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
    expect(node2).toMatch(/DOWN .*replica \d, DOWN$/);
    expect(lines.filter((l) => /replica \d/.test(l))).toHaveLength(3);
  });
});

describe('ProgressBar', () => {
  it('fills in proportion to the ranges done', () => {
    const ui = render(<ProgressBar progress={{ rangesDone: 3, ranges: 12, keysStreamed: 9 }} width={60} />);
    expect(text(ui)).toBe(`[${'█'.repeat(5)}${'░'.repeat(15)}]  25% 3/12 ranges, 9 keys streamed`);
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
    expect(text(ui)).toContain(
      'ONE write timed out: 0 of 1 replica acknowledged; the write may have been applied',
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
        asOfMs={4 * 3600 * 1000}
      />,
    );
    expect(text(ui).split('\n')).toEqual([
      'HOLDER  TARGET  HINTS  BYTES    OLDEST',
      'node-1  node-3  12     2.9 KiB  4h00m',
      'node-2  node-3  1      10 B     4h00m   PAST WINDOW: repair',
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
