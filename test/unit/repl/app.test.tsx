import { render } from 'ink-testing-library';
import { stripVTControlCharacters } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup } from 'ink-testing-library';
import type { RepairOptions, RepairSummary } from '../../../src/client/api.js';
import { App } from '../../../src/repl/app.js';
import type { HistoryStore } from '../../../src/repl/history-file.js';
import { FakeCluster } from './fake-cluster.js';

// Ink handles input asynchronously: let it process a write before the next one.
const tick = () => new Promise((r) => setTimeout(r, 20));

function memoryHistory(lines: string[] = []): HistoryStore & { lines: string[] } {
  return {
    lines,
    load: () => Promise.resolve([...lines]),
    append: (line) => {
      lines.push(line);
      return Promise.resolve();
    },
  };
}

async function start(api = new FakeCluster(), history = memoryHistory()) {
  const ui = render(
    <App
      api={api}
      session={{ cl: 'ONE', keyspace: 'default', tracing: false }}
      history={history}
      initialHistory={[...history.lines]}
      nowMs={() => 0}
    />,
  );
  await tick();
  const frame = () => stripVTControlCharacters(ui.lastFrame() ?? '');
  const type = async (text: string) => {
    for (const ch of text) {
      ui.stdin.write(ch);
      await tick();
    }
  };
  const press = async (key: string) => {
    ui.stdin.write(key);
    await tick();
  };
  /** Waits until the frame shows what the test expects: commands finish asynchronously. */
  const until = (check: (frame: string) => void) =>
    vi.waitFor(() => check(frame()), { timeout: 5000, interval: 10 });
  return { ui, api, history, frame, type, press, until };
}

const enter = '\r';
const up = '\u001B[A';
const down = '\u001B[B';
const ctrlC = '\u0003';

/** The line being edited, as the prompt shows it (the cursor is a blank cell at the end). */
function promptLine(frame: string): string | undefined {
  const lines = frame.split('\n').filter((l) => l.startsWith('ringkv:'));
  return lines[lines.length - 1]?.trimEnd();
}

afterEach(() => cleanup());

describe('the REPL app', () => {
  it('echoes what is typed and shows the result of a command', async () => {
    const r = await start();
    await r.type('put a hello');
    await r.until((f) => expect(promptLine(f)).toBe('ringkv:default> put a hello'));
    await r.press(enter);
    await r.until((f) => expect(f).toContain('✓ a written at ONE'));
    await r.type('get a');
    await r.press(enter);
    await r.until((f) => {
      expect(f).toContain('✓ a written at ONE');
      expect(f).toContain('a = hello');
      expect(f).toMatch(/ONE from node-\d/);
      expect(promptLine(f)).toBe('ringkv:default>');
    });
  });

  it('runs each line of a paste in turn', async () => {
    const r = await start();
    await r.press('put a 1\rget a\r');
    await r.until((f) => {
      expect(f).toContain('✓ a written at ONE');
      expect(f).toContain('a = 1');
    });
    expect(r.history.lines).toEqual(['put a 1', 'get a']);
  });

  it('keeps the status line live with UP and DOWN counts', async () => {
    const r = await start();
    await r.until((f) =>
      expect(f).toContain('127.0.0.1:7401 · CL ONE · keyspace default · tracing off · 3 UP · 0 DOWN'),
    );
    r.api.setState('node-2', 'DOWN');
    await tick();
    await r.until((f) => expect(f).toContain('2 UP · 1 DOWN'));
    await r.type('consistency quorum');
    await r.press(enter);
    await r.until((f) => expect(f).toContain('CL QUORUM'));
  });

  it('walks the history with the arrows and records new lines', async () => {
    const history = memoryHistory(['put a 1', 'get a']);
    const r = await start(new FakeCluster(), history);
    await r.press(up);
    await r.until((f) => expect(promptLine(f)).toBe('ringkv:default> get a'));
    await r.press(up);
    await r.until((f) => expect(promptLine(f)).toBe('ringkv:default> put a 1'));
    await r.press(down);
    await r.until((f) => expect(promptLine(f)).toBe('ringkv:default> get a'));
    await r.press(down);
    await r.until((f) => expect(promptLine(f)).toBe('ringkv:default>'));
    await r.type('status');
    await r.press(enter);
    // The line is saved by an effect after the render: wait for it rather than for a fixed time.
    await vi.waitFor(() => expect(history.lines).toEqual(['put a 1', 'get a', 'status']));
  });

  it('completes with tab, listing choices when several fit', async () => {
    const r = await start();
    await r.type('get a qu');
    await r.press('\t');
    await r.until((f) => expect(promptLine(f)).toBe('ringkv:default> get a QUORUM'));
    await r.press(ctrlC);
    await r.type('get a local');
    await r.press('\t');
    await r.until((f) => expect(promptLine(f)).toBe('ringkv:default> get a LOCAL_'));
    await r.until((f) => expect(f).toContain('LOCAL_ONE  LOCAL_QUORUM'));
    await r.press(ctrlC);
    await r.type('use d');
    await r.press('\t');
    await r.until((f) => expect(promptLine(f)).toBe('ringkv:default> use default'));
  });

  it('shows UNAVAILABLE with its code and what to try', async () => {
    const api = new FakeCluster();
    api.setState('node-2', 'DOWN');
    api.setState('node-3', 'DOWN');
    const r = await start(api);
    await r.type('put a 1 quorum');
    await r.press(enter);
    await r.until((f) => {
      expect(f).toContain('UNAVAILABLE: QUORUM needs 2 replicas, 1 is alive');
      expect(f).toContain('try: use ONE, or bring a node back');
    });
  });

  it('suggests the command a typo meant', async () => {
    const r = await start();
    await r.type('stauts');
    await r.press(enter);
    await r.until((f) => expect(f).toContain('USAGE: unknown command "stauts": did you mean "status"?'));
  });

  it('cancels a running command with Ctrl-C', async () => {
    const api = new FakeCluster();
    const r = await start(api);
    api.hold();
    await r.type('get a');
    await r.press(enter);
    await r.until((f) => expect(f).toContain('running get a (Ctrl-C cancels)'));
    await r.press(ctrlC);
    await r.until((f) => expect(f).toContain('cancelled'));
    await r.until((f) => expect(f).not.toContain('running get a'));
    api.release();
  });

  it('repairs every range of the keyspace, showing progress live, then the summary', async () => {
    const api = new FakeCluster();
    let finish: (s: RepairSummary) => void = () => undefined;
    const asked: RepairOptions[] = [];
    api.repair = (opts, onProgress) => {
      asked.push(opts);
      onProgress?.({ rangesDone: 6, ranges: 12, keysStreamed: 40 });
      return new Promise<RepairSummary>((resolve) => (finish = resolve));
    };
    const r = await start(api);
    await r.type('repair');
    await r.press(enter);
    await r.until((f) => expect(f).toMatch(/\[█+░+\] {2}50% 6\/12 ranges, 40 keys streamed/));
    finish({
      keyspace: 'default',
      ranges: 12,
      mismatched: 3,
      keysStreamed: 80,
      bytesStreamed: 4096,
      durationMs: 900,
      failedRanges: [],
      preview: false,
    });
    await tick();
    await r.until((f) =>
      expect(f).toContain('repair of default: 12 ranges, 3 mismatched, 80 keys (4.0 KiB) streamed in 900 ms'),
    );
    expect(asked).toEqual([
      { keyspace: 'default', primaryRangeOnly: false, allRanges: true, full: false, preview: false },
    ]);
  });

  it('shows a repair that left ranges unrepaired as an error, after what it did repair', async () => {
    const api = new FakeCluster();
    api.unrepairable = Array.from({ length: 12 }, (_, i) => ({
      start: String(i * 10),
      end: String(i * 10 + 10),
      reason: 'replica node-3 is down',
    }));
    const r = await start(api);
    await r.type('repair');
    await r.press(enter);
    await r.until((f) => {
      expect(f).toMatch(/\] 100% 12\/12 ranges \(12 failed\), 12 keys streamed/);
      expect(f).toContain('repair of default: 12 ranges, 2 mismatched, 12 keys (1.2 KiB) streamed in 42 ms');
      expect(f).toContain('failed 12 ranges, (0, 10] and 11 more: replica node-3 is down');
      expect(f).toContain(
        'REFUSED: 12 range(s) could not be repaired: bring the replicas back and run repair again',
      );
    });
  });

  it('draws a trace waterfall when tracing is on', async () => {
    const r = await start();
    await r.type('tracing on');
    await r.press(enter);
    await r.until((f) => expect(f).toContain('tracing on'));
    await r.type('put a 1');
    await r.press(enter);
    await r.until((f) => {
      expect(f).toContain('tracing on');
      expect(f).toMatch(/0\.00 ms node-\d +█+ +put received, coordinator chosen/);
      expect(f).toMatch(/1\.00 ms node-\d +█ ack \(1\.00 ms\)/);
    });
  });

  it('leaves after a second Ctrl-C on an empty line', async () => {
    const r = await start();
    await r.type('get a');
    await r.press(ctrlC);
    await r.until((f) => expect(promptLine(f)).toBe('ringkv:default>'));
    await r.press(ctrlC);
    await r.until((f) => expect(f).toContain('press Ctrl-C again or Ctrl-D to exit'));
    await r.press(ctrlC);
    await r.until((f) => expect(promptLine(f)).toBeUndefined());
  });

  it('leaves on exit', async () => {
    const r = await start();
    await r.type('exit');
    await r.press(enter);
    await r.until((f) => expect(promptLine(f)).toBeUndefined());
  });
});
