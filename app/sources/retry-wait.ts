/**
 * How the etcd loops (weights, node pool) wait between attempts: an
 * exponential backoff with equal jitter, slept in a way `close()` can cut short.
 * @module
 */

/** Exponential backoff with equal jitter: half the step fixed, half random. */
export function jitteredBackoff(failures: number, baseMs: number, maxMs: number, random: () => number): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.min(failures, 30));
  return step / 2 + random() * (step / 2);
}

/** A sleep that `wake()` ends at once (on close). */
export class WakeableSleep {
  private waking: (() => void) | undefined;

  /** Resolves after `ms`, or at once when woken. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waking = undefined;
        resolve();
      }, ms);
      this.waking = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Ends the current sleep, if any. */
  wake(): void {
    this.waking?.();
  }
}
