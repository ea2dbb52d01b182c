/**
 * Bounded waits for end-to-end tests: poll a condition until a deadline, wait
 * for a process to exit. Never a fixed sleep: a test waits only as long as the
 * thing it waits for takes, and fails with what it saw when the deadline passes.
 * @module
 */
import type { ChildProcess } from 'node:child_process';

/** How often {@link waitUntil} polls. */
export const POLL_MS = 25;

/**
 * Calls `check` until it returns something other than `undefined` and resolves
 * that value; throws after `timeoutMs`, naming `what` and the last value seen.
 * A `check` that throws is retried the same way (e.g. a socket not open yet).
 */
export async function waitUntil<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined> | T | undefined,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = undefined;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`not within ${timeoutMs} ms: ${what}${last === undefined ? '' : ` (last error: ${String(last)})`}`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** How a process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Resolves once `proc` has exited and its stdout/stderr are closed (so output
 * collected from them is complete); throws after `timeoutMs` without killing it.
 */
export async function waitForExit(proc: ChildProcess, timeoutMs: number): Promise<Exit> {
  const done = (): boolean =>
    (proc.exitCode !== null || proc.signalCode !== null) &&
    (proc.stdout === null || proc.stdout.closed) &&
    (proc.stderr === null || proc.stderr.closed);
  if (done()) return { code: proc.exitCode, signal: proc.signalCode };
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await new Promise<Exit>((resolve, reject) => {
      proc.once('close', (code, signal) => resolve({ code, signal }));
      timer = setTimeout(() => reject(new Error(`process ${proc.pid} still running after ${timeoutMs} ms`)), timeoutMs);
    });
  } finally {
    clearTimeout(timer);
  }
}
