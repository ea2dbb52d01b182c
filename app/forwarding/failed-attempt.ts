/**
 * What a failed attempt leads to (`forward.ts`): it is recorded (the log in
 * the route's wording, the metrics, the backend's passive health), and then
 * either another backend gets the request ({@link afterFailure}, under the
 * retry rule of `retry.ts`) or the client gets its error ({@link attemptError}).
 * @module
 */
import { GatewayError } from '../errors.ts';
import { backoffMs, isBackendFailure, markFailed } from '../health/passive.ts';
import type { UpstreamError, UpstreamFailure } from '../proxy/engine.ts';
import type { ReplayableBody } from './replayable-body.ts';
import { isConnectTimeout, maySendAgain } from './retry.ts';
import type { ForwardCall, Forwarder } from './forward.ts';
import { isAvailable, type BackendState } from '../../strategies/backend-state.ts';
import type { Backend, PickContext, Picker } from '../../strategies/strategy.ts';

/**
 * Records the failed attempt on `backend` (log, metrics, passive health, the
 * `tried` list) and returns the backend for another attempt, or undefined
 * when the request may not or cannot be sent again: the client ended it, the
 * retries are spent, the method and what was sent forbid it (`retry.ts`), the
 * body cannot be produced again, or no untried usable backend is left
 * ({@link retryPick}).
 */
export function afterFailure(
  f: Forwarder,
  call: ForwardCall,
  backend: Backend,
  err: UpstreamError,
  replay: ReplayableBody | undefined,
  tried: BackendState[],
  now: number,
): Backend | undefined {
  const { logger, observer } = f.deps;
  const fields = attemptFields(f, call, backend, err.failure, err.message);
  // golb's shutdown cut it (the drain timeout): neither the backend's failure nor the client's.
  if (cutByShutdown(call, err)) {
    logger.warn('request cut by the shutdown (drain timeout)', { ...fields, reason: 'the drain timeout passed' });
    return undefined;
  }
  // The client leaving, or sending too much, is not the backend's failure.
  if (!isBackendFailure(err.failure)) {
    logger.debug('request ended by the client', fields);
    return undefined;
  }
  logger.warn(f.pool ? 'pool node failed' : 'upstream failed', fields);
  const state = backend.state;
  observer.upstreamError(call.label, backend.address, err.failure);
  if (markFailed(state, err.failure, now)) {
    logger.info(`${f.noun} marked down`, { [f.noun]: backend.address, failures: state.failures, backoffMs: backoffMs(state.failures) });
  }
  tried.push(state);
  if (tried.length > f.retries || !maySendAgain(call.req.method, call.hasBody, err)) return undefined;
  if (call.hasBody && (replay === undefined || !replay.replayable)) return undefined;
  const next = retryPick(call.picker, { fn: call.label, key: call.key, now, tried });
  if (next === undefined) return undefined;
  replay?.rewind();
  return next;
}

/**
 * The backend of a retry, or undefined to give up with the current error:
 * the picker's choice only when it is usable now. A retry takes no panic
 * routing: the picker falls back to a backend marked down when nothing is
 * usable, and sending a failed request on to backends known down would cost
 * the client up to `retries` more failures (each perhaps a full connect
 * timeout). The first attempt keeps panic routing. A picker hands out a tried
 * backend only by mistake; the request never goes there twice.
 */
export function retryPick(picker: Picker, ctx: PickContext & { tried: readonly BackendState[] }): Backend | undefined {
  const next = picker.pick(ctx);
  if (next === undefined || ctx.tried.includes(next.state) || !isAvailable(next.state, ctx.now)) return undefined;
  return next;
}

/** The log fields of a failed attempt, in the route's wording. */
export function attemptFields(f: Forwarder, call: ForwardCall, backend: Backend, failure: UpstreamFailure, reason: string): Record<string, string> {
  return f.pool
    ? { key: call.key, node: backend.address, failure, reason }
    : { function: call.label, backend: backend.address, failure, reason };
}

/** The attempt was abandoned because golb's shutdown cut its client connection (the drain timeout), not because the client left. */
function cutByShutdown(call: ForwardCall, err: UpstreamError): boolean {
  return err.failure === 'aborted' && call.req.signal?.shutdownCut === true;
}

/**
 * The client's error for a failed attempt: 504 for timeouts, 413 for too
 * large, 503 `shutdown` when golb's drain timeout cut the request (never
 * sent: the connection is closed), 499 when the client went away or its body failed (it is not the
 * backend's fault, and the client sees no answer, or the server's own, such as
 * a 408), 502 otherwise.
 */
export function attemptError(f: Forwarder, call: ForwardCall, err: UpstreamError, backend: Backend, fn: string | undefined): GatewayError {
  if (cutByShutdown(call, err)) return new GatewayError('shutdown', `golb's shutdown cut the request to ${f.noun} ${backend.address} (the drain timeout passed)`, fn);
  if (err.failure === 'aborted') return new GatewayError('client_closed', `the client went away from ${f.noun} ${backend.address}: ${err.message}`, fn);
  if (err.failure === 'timeout' || isConnectTimeout(err)) return new GatewayError('upstream_timeout', `${f.noun} ${backend.address} timed out`, fn);
  if (err.failure === 'body_too_large') return new GatewayError('body_too_large', `request body over ${f.maxBodySize} bytes`, fn);
  return new GatewayError('upstream_failed', `${f.noun} ${backend.address} failed: ${err.failure}`, fn);
}

