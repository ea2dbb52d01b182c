/**
 * A repeating timer the test fires by hand (`AppDeps.timer`): no sweep runs by
 * itself, `sweep()` runs every one that is scheduled.
 * @module
 */
import type { Timer } from '../../app/http/sweep.ts';

/** The timer and the hand that fires it. */
export function manualTimer(): { timer: Timer; sweep: () => void } {
  const runs = new Map<number, () => void>();
  let next = 0;
  const timer: Timer = {
    every: (_ms, run) => (runs.set(++next, run), next),
    cancel: (handle) => void runs.delete(handle as number),
  };
  return { timer, sweep: () => [...runs.values()].forEach((run) => run()) };
}
