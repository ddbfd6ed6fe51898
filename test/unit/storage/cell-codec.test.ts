import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CELL_FORMAT_LWW, type Cell } from '../../../src/protocol/cell.js';
import { RingkvError } from '../../../src/protocol/errors.js';
import { decodeCell, encodeCell } from '../../../src/node/storage/cell-codec.js';

const micros = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const cell: fc.Arbitrary<Cell> = fc
  .record({
    value: fc.option(fc.uint8Array({ maxLength: 64 }), { nil: null }),
    timestamp: micros,
    expiresAt: fc.option(micros, { nil: undefined }),
  })
  .map((c) => (c.expiresAt === undefined ? { value: c.value, timestamp: c.timestamp } : c));

describe('cell codec', () => {
  it('round-trips values, tombstones, timestamps and expiry', () => {
    fc.assert(
      fc.property(cell, (c) => {
        expect(decodeCell(encodeCell(c))).toEqual(c);
      }),
    );
  });

  it('keeps the format tag first and stays compact', () => {
    const bytes = encodeCell({ value: Uint8Array.of(1, 2, 3), timestamp: 1_700_000_000_000_000 });
    expect(bytes[0]).toBe(CELL_FORMAT_LWW);
    expect(bytes.length).toBe(1 + 1 + 8 + 3);
    expect(encodeCell({ value: null, timestamp: 5, expiresAt: 9 }).length).toBe(1 + 1 + 8 + 8);
  });

  it('carries timestamps before the epoch that a client may give', () => {
    expect(decodeCell(encodeCell({ value: null, timestamp: -1 }))).toEqual({ value: null, timestamp: -1 });
  });

  it('refuses a format it does not know instead of misreading it', () => {
    const bytes = encodeCell({ value: Uint8Array.of(1), timestamp: 1 });
    bytes[0] = 2;
    expect(() => decodeCell(bytes)).toThrow(RingkvError);
    expect(() => decodeCell(bytes)).toThrow(/unknown format tag 2/);
  });

  it('refuses truncated or inconsistent bytes', () => {
    expect(() => decodeCell(new Uint8Array())).toThrow(RingkvError);
    expect(() => decodeCell(Uint8Array.of(CELL_FORMAT_LWW, 0, 0))).toThrow(/shorter/);
    const tombstone = encodeCell({ value: null, timestamp: 1 });
    expect(() => decodeCell(Uint8Array.of(...tombstone, 7))).toThrow(/tombstone/);
    const flags = encodeCell({ value: null, timestamp: 1 });
    flags[1] = 0x80;
    expect(() => decodeCell(flags)).toThrow(/flags/);
    expect(() => encodeCell({ value: null, timestamp: 1.5 })).toThrow();
  });
});
