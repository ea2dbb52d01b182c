/**
 * What the request path reports as it goes, for metrics and stats. The route
 * calls these synchronously on the hot path, so an implementation only bumps
 * counters: no I/O, no awaits, no allocation beyond first use of a label set.
 * @module
 */
import type { ErrorCode } from './errors.ts';
import type { UpstreamFailure } from './proxy/engine.ts';

/** Receives one call per event of a proxied request. */
export interface ProxyObserver {
  /** `backend` answered `fn`'s request with `status` after `latencyMs` (to the response head). */
  response(fn: string, backend: string, status: number, latencyMs: number): void;
  /** An exchange with `backend` failed before a response head. */
  upstreamError(fn: string, backend: string, failure: UpstreamFailure): void;
  /** A failed request for `fn` is tried again on another backend. */
  retry(fn: string): void;
  /** golb answered a request itself with an error (`fn` undefined when the path names none). */
  rejected(fn: string | undefined, code: ErrorCode): void;
  /** golb's server refused a request before any route (malformed, a timeout): counted by its listener, and here for the last minute's rejections. */
  refused(code: ErrorCode): void;
}

/** The observer that counts nothing (tests, and until metrics are wired). */
export const NO_OBSERVER: ProxyObserver = {
  response: () => undefined,
  upstreamError: () => undefined,
  retry: () => undefined,
  rejected: () => undefined,
  refused: () => undefined,
};
