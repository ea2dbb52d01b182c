/**
 * How a follower (etcd, Kubernetes) waits between attempts: an exponential backoff with
 * equal jitter, slept on the world's timers in a way `close()` can cut short.
 * @module
 */
import type { Timers } from './deps.ts';

/** Exponential backoff with equal jitter: half the step fixed, half random. */
export function jitteredBackoff(failures: number, baseMs: number, maxMs: number, random: () => number): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.min(failures, 30));
  return step / 2 + random() * (step / 2);
}

/** A sleep that `wake()` ends at once (on close). */
export class WakeableSleep {
  private readonly timers: Timers;
  private waking: (() => void) | undefined;

  constructor(timers: Timers) {
    this.timers = timers;
  }

  /** Resolves after `ms`, or at once when woken. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.timers.setTimeout(() => {
        this.waking = undefined;
        resolve();
      }, ms);
      this.waking = () => {
        this.timers.clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Ends the current sleep, if any. */
  wake(): void {
    this.waking?.();
  }
}
