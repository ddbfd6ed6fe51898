import { describe, expect, it } from 'vitest';
import type { NodeStatus } from '../../../src/client/api.js';
import { renderStatus } from '../../../src/cli/render.js';

const node = (hostId: string, clockOffsetMs?: number): NodeStatus => ({
  hostId,
  address: `ws://127.0.0.1:7400`,
  dc: 'dc1',
  rack: 'rack1',
  state: 'UP',
  status: 'NORMAL',
  tokens: 16,
  owns: 1,
  load: 0,
  ...(clockOffsetMs !== undefined ? { clockOffsetMs } : {}),
});

describe('renderStatus', () => {
  it('shows each peer clock against the contact node with one sign convention', () => {
    const text = renderStatus({
      keyspace: 'default',
      nodes: [
        node('self'),
        node('ahead', 3.4),
        node('behind', -2.6),
        node('just-behind', -0.3),
        node('same', 0.2),
      ],
      warnings: [],
    });
    // Columns: state, address, host id, ..., and the clock last.
    const clockOf = (hostId: string) => {
      const cells =
        text
          .split('\n')
          .find((l) => l.split(/\s+/)[2] === hostId)
          ?.split(/\s+/) ?? [];
      return cells[2] === hostId && cells.at(-1) === 'ms' ? cells.at(-2) : '';
    };
    expect(clockOf('self')).toBe('');
    expect(clockOf('ahead')).toBe('+3');
    expect(clockOf('behind')).toBe('-3');
    expect(clockOf('just-behind')).toBe('0');
    expect(clockOf('same')).toBe('0');
  });
});
