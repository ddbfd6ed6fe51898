import { describe, expect, it } from 'vitest';
import { CONSISTENCY_LEVELS, parseConsistency } from '../../../src/protocol/consistency.js';
import { RingkvError } from '../../../src/protocol/errors.js';

function refusal(input: string): RingkvError {
  try {
    parseConsistency(input);
  } catch (e) {
    if (e instanceof RingkvError) return e;
    throw e;
  }
  throw new Error(`${input} was accepted`);
}

describe('parseConsistency', () => {
  it('reads every level in any case', () => {
    for (const cl of CONSISTENCY_LEVELS) {
      expect(parseConsistency(cl.toLowerCase())).toBe(cl);
      expect(parseConsistency(` ${cl} `)).toBe(cl);
    }
    expect(parseConsistency('Local_Quorum')).toBe('LOCAL_QUORUM');
  });

  it('corrects a typo instead of listing every level', () => {
    const e = refusal('quorom');
    expect(e.code).toBe('USAGE');
    expect(e.message).toBe('unknown consistency level "quorom": did you mean QUORUM?');
    expect(e.details).toMatchObject({ suggestion: 'QUORUM' });
    expect(refusal('eachquorum').message).toContain('did you mean EACH_QUORUM?');
    expect(refusal('al').message).toContain('did you mean ALL?');
  });

  it('lists the levels when nothing is close', () => {
    expect(refusal('most').message).toBe(
      'unknown consistency level "most": use one of any, one, two, three, quorum, local_one, local_quorum, each_quorum, all',
    );
    expect(refusal('').message).toContain('use one of');
  });
});
