/**
 * The gateway's error family. Every failure a client can see is a `GatewayError`
 * with an HTTP status and a stable `code`; one `onError` turns it into the JSON
 * body that docs/routing.md describes (`error`, `message`, `function` when
 * known, `zone`, `node`). Messages never carry raw client input
 * unescaped into HTML: they are only ever sent as JSON.
 * @module
 */
import type { AppDeps } from './deps.ts';

/** The stable error codes, with the HTTP status each one answers with. */
export const ERROR_STATUS = {
  bad_request: 400,
  unknown_function: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  /** The client went away, or failed its request body, before its answer (nginx's 499): logged and counted, never sent. */
  client_closed: 499,
  body_too_large: 413,
  expectation_failed: 417,
  headers_too_large: 431,
  upstream_failed: 502,
  no_backend: 503,
  overloaded: 503,
  /** `GET /1/lb/load` before the first load report, or with reports off. */
  no_report: 503,
  /** golb's drain timeout cut the request at shutdown: logged (WARN) and counted, never sent (the connection is closed). */
  shutdown: 503,
  upstream_timeout: 504,
  loop_detected: 508,
  unauthorized: 401,
  forbidden: 403,
  /** A management write the store refuses in its present state (a weights file that is a symlink or read-only). */
  conflict: 409,
  internal: 500,
  /** A management write that was tried and failed; the message names the path and the errno. */
  write_failed: 500,
  not_implemented: 501,
  version_not_supported: 505,
} as const;

/** One of the stable error codes of {@link ERROR_STATUS}. */
export type ErrorCode = keyof typeof ERROR_STATUS;

/** A failure with an HTTP status and a stable machine-readable code. */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** The function the request was for, when known. */
  readonly fn: string | undefined;

  constructor(code: ErrorCode, message: string, fn?: string) {
    super(message);
    this.name = 'GatewayError';
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.fn = fn;
  }
}

/** Where an error body says it came from. */
export interface ErrorOrigin {
  zone: string;
  node: string;
}

/**
 * Builds the JSON error response. The body is serialised by `JSON.stringify`, so
 * whatever the message holds arrives as a JSON string, never as markup.
 */
export function errorResponse(err: GatewayError, origin: ErrorOrigin, fn?: string): Response {
  return new Response(errorBody(err, origin, fn), { status: err.status, headers: ERROR_HEADERS });
}

/** The headers of every error response. */
export const ERROR_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'x-content-type-options': 'nosniff' } as const;

/** The JSON error body. */
export function errorBody(err: GatewayError, origin: ErrorOrigin, fn?: string): string {
  return JSON.stringify({
    error: err.code,
    message: err.message,
    function: err.fn ?? fn ?? null,
    zone: origin.zone,
    node: origin.node,
  });
}

/** The error code of a status golb's server refuses a malformed request with. */
export function codeOfStatus(status: number): ErrorCode {
  for (const code of Object.keys(ERROR_STATUS) as ErrorCode[]) if (ERROR_STATUS[code] === status) return code;
  return 'bad_request';
}

/**
 * The answer to a failed request, made once per route or middleware: a
 * `GatewayError` (a refusal, a failed attempt) becomes its JSON error
 * (counted as rejected); anything else is logged and answered with a 500
 * `internal` error.
 */
export function errorAnswer(deps: Pick<AppDeps, 'config' | 'logger' | 'observer'>): (err: unknown) => Response {
  const { config, logger, observer } = deps;
  const origin = { zone: config.zone, node: config.nodeName };
  return function answerError(err) {
    if (err instanceof GatewayError) {
      observer.rejected(err.fn, err.code);
      return errorResponse(err, origin);
    }
    logger.error('unhandled error', { reason: String(err), stack: err instanceof Error ? err.stack : undefined });
    return errorResponse(new GatewayError('internal', 'internal error'), origin);
  };
}
