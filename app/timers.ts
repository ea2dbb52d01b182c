/**
 * Timers as the world hands them (`AppDeps.timer`, an etcd or Kubernetes
 * follower's `timers`): the runtime's in production ({@link SYSTEM_TIMERS}), a
 * test's own elsewhere, so no module below `app/` calls `setTimeout` or
 * `setInterval` itself. A handle is whatever the call returned; it goes back
 * to the matching clear only.
 * @module
 */

/** One-shot and repeating timers. */
export interface Timers {
  /** Runs `run` once after `ms` milliseconds. */
  setTimeout(run: () => void, ms: number): unknown;
  /** Stops what `setTimeout` started. */
  clearTimeout(handle: unknown): void;
  /** Runs `run` every `ms` milliseconds until cancelled; a pending run does not keep the process alive. */
  every(ms: number, run: () => void): unknown;
  /** Stops what `every` started. */
  cancel(handle: unknown): void;
}

/** The runtime's timers. */
export const SYSTEM_TIMERS: Timers = {
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
  every(ms, run) {
    const handle = setInterval(run, ms);
    (handle as { unref?: () => void }).unref?.();
    return handle;
  },
  cancel: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
};
