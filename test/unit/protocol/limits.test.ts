import { describe, expect, it } from 'vitest';
import { cellBatches, cellMessageBytes, MAX_CELLS_MESSAGE_BYTES } from '../../../src/protocol/limits.js';
import { encodeMessage } from '../../../src/protocol/codec.js';

const cellOf = (i: number, valueBytes: number) => ({
  key: new TextEncoder().encode(`key-${i}`),
  cell: { value: new Uint8Array(valueBytes).fill(7), timestamp: 1795836424550133 + i },
});

describe('cellBatches', () => {
  it('keeps the order and cuts at the count', () => {
    const cells = Array.from({ length: 7 }, (_, i) => cellOf(i, 10));
    const batches = cellBatches(cells, 3);
    expect(batches.map((b) => b.length)).toEqual([3, 3, 1]);
    expect(batches.flat()).toEqual(cells);
  });

  it('cuts before the bytes of a message run over, and sends a larger cell alone', () => {
    const cells = [
      cellOf(0, 40_000),
      cellOf(1, 40_000),
      cellOf(2, 40_000),
      cellOf(3, 500_000),
      cellOf(4, 10),
    ];
    const batches = cellBatches(cells, 500);
    expect(batches.map((b) => b.map((c) => c.key[4] ?? 0).map((k) => String.fromCharCode(k)))).toEqual([
      ['0', '1'],
      ['2'],
      ['3'],
      ['4'],
    ]);
    for (const b of batches.filter((x) => x.length > 1)) {
      expect(b.reduce((n, c) => n + cellMessageBytes(c.key, c.cell.value), 0)).toBeLessThanOrEqual(
        MAX_CELLS_MESSAGE_BYTES,
      );
    }
  });

  it('counts at least what encoding a cell in a message adds', () => {
    // A page of a range scan: the largest per-cell envelope the protocol sends.
    for (const valueBytes of [0, 1, 200, 70_000]) {
      const cells = Array.from({ length: 100 }, (_, i) => ({
        token: '-9223372036854775808',
        ...cellOf(i, valueBytes),
      }));
      const encoded = encodeMessage({ type: 'res', id: 2 ** 40, ok: true, result: { cells, more: true } });
      const counted = cells.reduce((n, c) => n + cellMessageBytes(c.key, c.cell.value), 0);
      expect(encoded.length).toBeLessThan(counted);
    }
  });
});
