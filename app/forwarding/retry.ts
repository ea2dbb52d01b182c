/**
 * When a failed request may be sent to another backend (docs/health-and-retries.md, "Retries").
 *
 * Only a failure before any response byte is retried: once the response has
 * begun, part of it may have been relayed and the backend did answer. Then:
 * - an idempotent method (RFC 9110 §9.2.2, less TRACE, which golb never
 *   retries: GET, HEAD, OPTIONS, PUT, DELETE) may be sent again whatever reached the backend;
 * - any other method only when the backend cannot have acted on it: the
 *   connection was never established (`connect`: not a byte left golb), or the
 *   request had a body and none of it was handed to the socket (the backend
 *   saw a head without its body). A POST without a body is complete once its
 *   head is sent, so after a reset it is not sent again.
 * The client's own failures (`aborted`, `body_too_large`) are never retried.
 * Whether the body can still be produced again is the caller's concern
 * (`replayable-body.ts`).
 * @module
 */
import { isIdempotent, type UpstreamError } from '../proxy/engine.ts';

export { isIdempotent };

/** True when the request that failed with `err` may be sent to another backend. */
export function maySendAgain(method: string, hasBody: boolean, err: UpstreamError): boolean {
  if (err.responseStarted || err.failure === 'aborted' || err.failure === 'body_too_large') return false;
  if (isIdempotent(method)) return true;
  return err.failure === 'connect' || (hasBody && !err.bodySent);
}

/**
 * True when `err` is a connect timeout. The engine reports it as a `connect`
 * failure (nothing was sent, so it is retried like a refusal); the client is
 * told 504 rather than 502 when it is the last attempt's.
 */
export function isConnectTimeout(err: UpstreamError): boolean {
  return err.failure === 'connect' && /timed out/.test(err.message);
}
