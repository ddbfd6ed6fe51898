import type { Clock, Logger } from './world.js';

/**
 * A warning that can come with every request (a full disk fails every hint it is asked to store):
 * the first line at once, then at most one per interval, counting the ones left out, so that the
 * log keeps saying it without burying everything else.
 */
export function throttledWarning(
  clock: Clock,
  logger: Logger,
  message: string,
  intervalMs = 10_000,
): (fields: Record<string, unknown>) => void {
  let lastMs = -Infinity;
  let leftOut = 0;
  return (fields) => {
    const now = clock.monotonicMs();
    if (now - lastMs < intervalMs) {
      leftOut++;
      return;
    }
    logger.warn(message, leftOut > 0 ? { ...fields, alsoSince: leftOut } : fields);
    lastMs = now;
    leftOut = 0;
  };
}
