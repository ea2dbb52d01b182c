/**
 * Authorisation of the management API (docs/management.md, "Authorization").
 *
 * Every write (any method but GET, HEAD and OPTIONS) needs
 * `Authorization: Bearer <eb_go_lb_admin_token>`. With no token configured,
 * writes are refused with 403: there is no way to authorise them. A missing or
 * wrong token is 401 with `WWW-Authenticate: Bearer`. Reads are open unless
 * `eb_go_lb_protect_reads` is set; then they need the token too.
 *
 * The comparison is constant-time: both sides are hashed (SHA-256) to equal
 * lengths and compared with `timingSafeEqual`, so neither the token's content
 * nor its length leaks through timing.
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { GatewayError, errorResponse, type ErrorOrigin } from '../errors.ts';

/** Options of {@link adminAuth}. */
export interface AdminAuthOptions {
  /** The admin token; undefined refuses every write. */
  token: string | undefined;
  /** Reads need the token too. */
  readsNeedToken: boolean;
  /** Zone and node for the error body. */
  origin: ErrorOrigin;
}

/** True for the methods that only read. */
export function isReadMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * A checker of `Authorization` header values against `token`, in constant time.
 * @returns true when the header is `Bearer <token>` (scheme case-insensitive)
 */
export function bearerChecker(token: string): (authorization: string | null) => boolean {
  const expected = digest(token);
  return (authorization) => {
    if (authorization === null) return false;
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (m === null) return false;
    return timingSafeEqual(digest(m[1] ?? ''), expected);
  };
}

/**
 * The answer to a request that may not pass, or undefined when it may.
 * @param authorization the request's `Authorization` header
 */
export function authorise(
  method: string, authorization: string | null, opts: AdminAuthOptions, check: ((a: string | null) => boolean) | undefined,
): Response | undefined {
  if (isReadMethod(method) && !opts.readsNeedToken) return undefined;
  if (check === undefined) {
    const what = isReadMethod(method) ? 'management reads are protected' : 'management writes are disabled';
    return errorResponse(new GatewayError('forbidden', `${what}: no admin token is configured (eb_go_lb_admin_token)`), opts.origin);
  }
  if (check(authorization)) return undefined;
  const res = errorResponse(
    new GatewayError('unauthorized', authorization === null ? 'Authorization: Bearer <admin token> is required' : 'the admin token is wrong'),
    opts.origin,
  );
  res.headers.set('www-authenticate', 'Bearer realm="golb"');
  return res;
}

/** Middleware guarding the management API with the admin token. */
export function adminAuth(opts: AdminAuthOptions): MiddlewareHandler {
  const check = opts.token === undefined ? undefined : bearerChecker(opts.token);
  return async function adminAuthorisation(c, next) {
    const refusal = authorise(c.req.method, c.req.header('authorization') ?? null, opts, check);
    if (refusal !== undefined) return refusal;
    await next();
  };
}
