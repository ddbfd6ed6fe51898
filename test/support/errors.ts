import { RingkvError } from '../../src/protocol/errors.js';

/** The RingkvError fn throws. Anything else thrown, or nothing, fails the test. */
export function errorOf(fn: () => unknown): RingkvError {
  try {
    fn();
  } catch (e) {
    if (e instanceof RingkvError) return e;
    throw e;
  }
  throw new Error('expected a RingkvError');
}

/** The RingkvError p rejects with. Anything else, or a fulfilment, fails the test. */
export async function rejectionOf(p: Promise<unknown>): Promise<RingkvError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RingkvError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}
