import { isNoAnswer, isUnreachable, lostConnectionReason, missingReplyReasons } from '../protocol/errors.js';
import type { HostId } from './world.js';

/**
 * The replicas a coordinator got no usable reply from, and why, for the error it answers with: a
 * timeout says nothing more, a lost connection and an error a replica answered say what happened.
 */
export class MissedReplies {
  /** Why replicas whose connection was lost gave no answer, by host. */
  unreachable: Record<HostId, string> | undefined;
  /** What replicas that answered with an error said, by host. */
  failures: Record<HostId, string> | undefined;

  /** Records why `host` gave no usable reply; true when it gave no answer at all (no error of its own). */
  add(host: HostId, e: unknown): boolean {
    if (isUnreachable(e)) {
      (this.unreachable ??= {})[host] = lostConnectionReason(e);
      return true;
    }
    if (isNoAnswer(e)) return true;
    (this.failures ??= {})[host] = e instanceof Error ? e.message : String(e);
    return false;
  }

  /** What to add to "needed N, got M": "within T ms" when every missing reply timed out. */
  why(timeoutMs: number): string {
    const reasons = missingReplyReasons(this.unreachable, this.failures);
    return reasons.length > 0 ? `: ${reasons.join('; ')}` : ` within ${timeoutMs} ms`;
  }
}
