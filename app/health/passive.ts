/**
 * Passive health: what a proxied request's outcome says about its backend.
 *
 * A connect failure, a reset before the response head, a response timeout or a
 * response that is not HTTP marks the backend down: `downUntil = now + backoff`.
 * The backoff doubles with each failed trial, {@link BASE_BACKOFF_MS} (1 s),
 * 2 s, 4 s … up to {@link MAX_BACKOFF_MS} (30 s), as Envoy's outlier ejection
 * and HAProxy's `observe layer4` do. One answer (any response head, 5xx
 * included: the backend is reachable and speaks HTTP) clears the mark and the
 * count at once.
 *
 * A trial is a request that started while the backend was not marked: the
 * requests already in flight when a backend dies all fail within a few
 * milliseconds, and counting each would jump straight to the cap. So a failure
 * while a mark is running (a request sent before it, or a panic pick) leaves
 * mark and count as they are; the first failure after the backoff ended counts
 * and doubles it.
 *
 * What the client does — going away (`aborted`), sending too much
 * (`body_too_large`) — says nothing about the backend and marks nothing.
 *
 * The state is the address's {@link BackendState}, shared by every function
 * listing the address: a pod down for one function is down for all.
 * Pure functions over the state and a monotonic clock reading.
 * @module
 */
import type { UpstreamFailure } from '../proxy/engine.ts';
import type { BackendState } from '../../strategies/backend-state.ts';

/** Backoff after the first failed trial. */
export const BASE_BACKOFF_MS = 1_000;
/** Longest backoff, reached after six failed trials in a row. */
export const MAX_BACKOFF_MS = 30_000;

/** The backoff after `failures` failed trials in a row (1 → 1 s, 2 → 2 s, … capped). */
export function backoffMs(failures: number): number {
  if (failures <= 0) return 0;
  // 2^(n-1) s; the exponent is bounded so a long outage cannot overflow to Infinity.
  return Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** Math.min(failures - 1, 30));
}

/** True when a failure of this kind is the backend's: connect, reset, timeout, protocol. */
export function isBackendFailure(failure: UpstreamFailure): boolean {
  return failure !== 'aborted' && failure !== 'body_too_large';
}

/**
 * Records a failed exchange with the backend at monotonic time `now`.
 * @returns true when this failure set a new mark (worth a log line)
 */
export function markFailed(state: BackendState, failure: UpstreamFailure, now: number): boolean {
  if (!isBackendFailure(failure)) return false;
  if (state.downUntil > now) return false; // the same outage, already backed off
  state.failures++;
  state.downUntil = now + backoffMs(state.failures);
  return true;
}

/**
 * Records an answer from the backend: clears its mark and failure count.
 * @returns true when the backend had been failing (worth a log line)
 */
export function markSucceeded(state: BackendState): boolean {
  if (state.failures === 0 && state.downUntil === 0) return false;
  state.failures = 0;
  state.downUntil = 0;
  return true;
}
